using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Client.History;

/// <summary>
/// One recorded sighting as <c>tlogistry history</c> shows it: what the bundle says, and whether
/// it verified. A bundle that fails still shows what it claims, marked with the reason.
/// </summary>
/// <param name="IntegratedTime">The log's time for the entry, only when the log signed it (SET, embedded leaf) and the bundle verified; else null.</param>
/// <param name="Status"><see cref="VerifiedStatus"/>, or why the bundle does not count.</param>
internal sealed record HistoryRow(
    string Reference,
    string Digest,
    long LogIndex,
    string LogId,
    DateTimeOffset? IntegratedTime,
    string Status)
{
    public const string VerifiedStatus = "verified";

    public bool Verified => Status == VerifiedStatus;

    /// <summary>The tag part of <see cref="Reference"/>.</summary>
    public string Tag => Reference.LastIndexOf(':') is var colon and >= 0 && Reference.IndexOf('/', colon) < 0 ? Reference[(colon + 1)..] : "";

    /// <summary>Reads a bundle with the service's reader; a sighting outside <paramref name="selector"/> does not count.</summary>
    public static HistoryRow Of(SigstoreBundle bundle, SightingReader reader, ImageSelector selector)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(selector);
        var entry = bundle.Entry;
        var logId = Convert.ToHexStringLower(entry.LogId);
        try
        {
            var sighting = reader.Read(bundle);
            var status = selector.Selects(sighting.Reference) ? VerifiedStatus : $"a sighting of {sighting.Reference}, not of {selector}";
            return new HistoryRow(sighting.Reference.Canonical, sighting.Digest.ToString(), entry.LogIndex, logId, sighting.LogTime, status);
        }
        catch (Exception e) when (e is FormatException or LogVerificationException)
        {
            var (reference, digest) = Claimed(bundle);
            return new HistoryRow(reference, digest, entry.LogIndex, logId, null, e.Message);
        }
    }

    /// <summary>What an unverified bundle claims, for display only.</summary>
    private static (string Reference, string Digest) Claimed(SigstoreBundle bundle)
    {
        if (bundle.Envelope is not { } envelope)
        {
            return ("?", "?");
        }

        try
        {
            if (LegacySighting.Is(envelope.Payload))
            {
                var (reference, digest) = LegacySighting.Decode(envelope.Payload);
                return (reference.Canonical, digest.ToString());
            }

            var claim = SightingStatement.Decode(envelope.Payload);
            return (claim.Reference.Canonical, claim.Digest.ToString());
        }
        catch (FormatException)
        {
            return ("?", "?");
        }
    }
}
