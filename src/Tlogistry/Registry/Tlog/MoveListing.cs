using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// The query of <c>GET /tlog/moves</c> read from its text: <c>registry</c> (a host),
/// <c>image</c> (a repository, any spelling a pull accepts), <c>since</c> (RFC 3339, with its
/// offset), <c>after</c> (a cursor a previous page gave) and <c>limit</c>. Pure: no I/O.
/// </summary>
internal static class MoveListing
{
    public const int DefaultLimit = 100;

    /// <summary>The longest cursor read: the store's are two numbers and a dash, far shorter.</summary>
    public const int MaxCursorLength = 512;

    /// <summary>
    /// Reads the parameters into a store query, <paramref name="limit"/> 1 to <paramref name="max"/>
    /// (else <paramref name="fallback"/>); on failure, the OCI error that says which one is wrong.
    /// </summary>
    public static bool TryParse(string? registry, string? image, string? since, string? after, string? limit, int fallback, int max, [NotNullWhen(true)] out MoveQuery? query, [NotNullWhen(false)] out OciError? error)
    {
        query = null;
        error = null;
        string? host = null;
        if (!string.IsNullOrEmpty(registry))
        {
            if (!RegistryHost.TryParse(registry, out var parsed, out var bad))
            {
                error = new OciError(OciErrorCodes.NameInvalid, "registry: " + bad);
                return false;
            }

            host = parsed.Value;
        }

        string? repository = null;
        if (!string.IsNullOrEmpty(image))
        {
            if (!ImageNameParser.TryParse(image, out var name, out error))
            {
                return false;
            }

            repository = name.Canonical;
        }

        DateTimeOffset? from = null;
        if (!string.IsNullOrEmpty(since))
        {
            if (!TryRfc3339(since, out var at))
            {
                error = new OciError(OciErrorCodes.Unsupported, $"since must be an RFC 3339 time with its offset, e.g. 2026-01-31T09:00:00Z; got {Display.Quote(since)}");
                return false;
            }

            from = at;
        }

        if (!string.IsNullOrEmpty(after) && (after.Length > MaxCursorLength || !MoveCursor.TryParse(after, out _)))
        {
            error = new OciError(DistributionErrorCodes.PaginationNumberInvalid, "after must be the next cursor of a previous page");
            return false;
        }

        var size = fallback;
        if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1 || size > max))
        {
            error = new OciError(DistributionErrorCodes.PaginationNumberInvalid, $"limit must be 1 to {max}");
            return false;
        }

        query = new MoveQuery(host, repository, from, string.IsNullOrEmpty(after) ? null : after, size);
        return true;
    }

    /// <summary>The query string of the page after <paramref name="query"/>'s, which starts after <paramref name="next"/>: only this endpoint's parameters.</summary>
    public static string NextQuery(MoveQuery query, string? image, string next)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parts = new List<string>();
        if (query.Registry is { } registry)
        {
            parts.Add("registry=" + Uri.EscapeDataString(registry));
        }

        if (!string.IsNullOrEmpty(image))
        {
            parts.Add("image=" + Uri.EscapeDataString(image));
        }

        if (query.Since is { } since)
        {
            parts.Add("since=" + Uri.EscapeDataString(Rfc3339(since)));
        }

        parts.Add("after=" + Uri.EscapeDataString(next));
        parts.Add("limit=" + query.Limit.ToString(CultureInfo.InvariantCulture));
        return string.Join('&', parts);
    }

    /// <summary>UTC, to the microsecond, as both stores keep times.</summary>
    public static string Rfc3339(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static readonly string[] Rfc3339Formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    /// <summary>A date and time with a zone (Z or ±hh:mm): a time with none would mean whatever zone the server runs in.</summary>
    private static bool TryRfc3339(string text, out DateTimeOffset at)
    {
        at = default;
        var zoned = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return zoned && DateTimeOffset.TryParseExact(text.ToUpperInvariant(), Rfc3339Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out at);
    }
}
