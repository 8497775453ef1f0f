namespace Tlogistry.Bench.Growth;

/// <summary>What was measured at one size of one store. Times in ms unless named otherwise.</summary>
internal sealed record GrowthRow(
    long Size,
    long Entries,
    double SeedPerSecond,
    double SeedCpuMs,
    double StartupMs,
    double RssMB,
    double WarmP50,
    double WarmP99,
    double ColdP50,
    double ColdP99,
    double FirstPerSecond,
    double BundlesP50,
    double IntentsP50,
    double AuditSeconds,
    double RebuildSeconds,
    double BytesPerSighting);
