using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Signing;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Host;

/// <summary>
/// <c>--legacy-log LOGID --legacy-key PEM</c>: the operator's explicit choice to honour the Go
/// tlogistry's unsigned entries from that one log naming that one key. Both or neither; with
/// neither no <see cref="LegacyTrustUnsafe"/> is registered, and no unsigned entry counts.
/// </summary>
internal static class LegacySetup
{
    public static void Add(IServiceCollection services, TlogistryOptions options)
    {
        var log = options.LegacyLog?.Trim();
        var key = options.LegacyKey?.Trim();
        if (string.IsNullOrEmpty(log) && string.IsNullOrEmpty(key))
        {
            return;
        }

        if (string.IsNullOrEmpty(log) || string.IsNullOrEmpty(key))
        {
            throw new FormatException("--legacy-log and --legacy-key go together: the log whose unsigned entries count, and the key they must name");
        }

        if (log.Length != 64 || !log.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"--legacy-log must be a log ID, 64 hex digits, got \"{log}\"");
        }

        var trust = new LegacyTrustUnsafe(Convert.FromHexString(log), PublicKeyPem.Read(File.ReadAllText(key), $"--legacy-key {key}"));
        services.AddSingleton(trust);
    }
}
