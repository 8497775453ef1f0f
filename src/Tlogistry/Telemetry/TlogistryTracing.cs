using System.Diagnostics;

namespace Tlogistry.Telemetry;

/// <summary>
/// The service's own spans. With no tracer listening (no OTLP endpoint configured),
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and costs a check.
/// </summary>
internal static class TlogistryTracing
{
    public const string SourceName = "Tlogistry";

    public static readonly ActivitySource Source = new(SourceName);
}
