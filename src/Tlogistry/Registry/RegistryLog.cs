using Microsoft.Extensions.Logging;
using Tlogistry.Telemetry;

namespace Tlogistry.Registry;

/// <summary>
/// The log lines of the registry API, one per thing an operator acts on: a refusal, an
/// outage, an answer served without its check. Paths and references only; never headers.
/// </summary>
internal static partial class RegistryLog
{
    [LoggerMessage(EventId = EventIds.Registry.UpstreamFailed, Level = LogLevel.Warning, Message = "{Method} {Path}: upstream error {Status}: {Reason}")]
    public static partial void UpstreamFailed(ILogger logger, string method, string path, int status, string reason);

    [LoggerMessage(EventId = EventIds.Registry.Mismatch, Level = LogLevel.Warning, Message = "refused {Reference}: upstream now serves {Got}, pinned {Want}")]
    public static partial void Mismatch(ILogger logger, string reference, string got, string want);

    [LoggerMessage(EventId = EventIds.Registry.IntegrityFailure, Level = LogLevel.Error, Message = "{Path}: ledger verification failed (reference {Reference}): {Reason}")]
    public static partial void IntegrityFailure(ILogger logger, string path, string reference, string reason);

    [LoggerMessage(EventId = EventIds.Registry.StreamBroken, Level = LogLevel.Warning, Message = "{Path}: stream broken mid-body: {Reason}")]
    public static partial void StreamBroken(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = EventIds.Registry.LedgerUnavailable, Level = LogLevel.Error, Message = "{Path}: the log or index is unavailable, refusing (reference {Reference}): {Reason}")]
    public static partial void LedgerUnavailable(ILogger logger, string path, string reference, string reason);

    [LoggerMessage(EventId = EventIds.Registry.ServedUnverified, Level = LogLevel.Critical, Message = "SERVING UNVERIFIED {Reference} -> {Digest}: the log or index is unavailable ({Reason}) and on-log-unavailable=serve")]
    public static partial void ServedUnverified(ILogger logger, string reference, string digest, string reason);

    [LoggerMessage(EventId = EventIds.Registry.ServedPinned, Level = LogLevel.Warning, Message = "serving pinned {Reference} -> {Want}: upstream now serves {Got} (on-mismatch=serve-pinned)")]
    public static partial void ServedPinned(ILogger logger, string reference, string got, string want);

    [LoggerMessage(EventId = EventIds.Registry.PolicyTimeout, Level = LogLevel.Error, Message = "{Path}: mutable-tag pattern {Pattern} timed out; refusing")]
    public static partial void PolicyTimeout(ILogger logger, string path, string pattern);

    [LoggerMessage(EventId = EventIds.Registry.FirstSightingLimited, Level = LogLevel.Warning, Message = "refused first sighting of {Reference}: client {Client} is over its first-sighting limit")]
    public static partial void FirstSightingLimited(ILogger logger, string reference, string client);

    [LoggerMessage(EventId = EventIds.Registry.ServedStale, Level = LogLevel.Warning, Message = "serving held {Reference} -> {Digest}: upstream failed to answer ({Reason}) (on-upstream-error=serve-pinned)")]
    public static partial void ServedStale(ILogger logger, string reference, string digest, string reason);

    [LoggerMessage(EventId = EventIds.Registry.HeldManifestRejected, Level = LogLevel.Error, Message = "held manifest of {Reference} not served: {Reason}")]
    public static partial void HeldManifestRejected(ILogger logger, string reference, string reason);

    [LoggerMessage(EventId = EventIds.Registry.HeldManifestUnavailable, Level = LogLevel.Warning, Message = "held manifest of {Reference} could not be stored or read: {Reason}")]
    public static partial void HeldManifestUnavailable(ILogger logger, string reference, string reason);
}
