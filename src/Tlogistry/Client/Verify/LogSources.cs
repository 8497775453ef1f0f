using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Http;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Client.Verify;

/// <summary>
/// Reaches a trusted log for its current checkpoint and consistency proofs: a log named by its
/// Rekor v1 ID (SHA-256 of its key) through Rekor v1's <c>/api/v1/log</c> and
/// <c>/api/v1/log/proof</c>, any other through the C2SP tiles read API (Rekor v2, <c>log serve</c>,
/// a proxy's embedded log), whose proofs are computed here from hash tiles.
/// </summary>
internal static class LogSources
{
    /// <summary>The log's URL as the trusted root gives it, when that is an http(s) URL (an embedded log's is a file path).</summary>
    public static Uri? UrlOf(TrustedLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return Uri.TryCreate(log.BaseUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null;
    }

    public static bool IsRekorV1(TrustedLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log.LogId.AsSpan().SequenceEqual(LogIds.ForRekorV1(log.PublicKeyDer));
    }

    public static ICheckpointSource For(TrustedLog log, Uri url, HttpClient http) =>
        IsRekorV1(log)
            ? new RekorV1Log(url, log.LogId, http, JsonHttpOptions.ForRekor(), NullLogger<RekorV1Log>.Instance)
            : new RekorV2Log(url, log.LogId, http, JsonHttpOptions.ForRekor(), NullLogger<RekorV2Log>.Instance);
}
