using Microsoft.Extensions.Logging;
using Tlogistry.Ledger;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Host;

/// <summary>
/// At start, a look at the pins the store holds: those signed by an identity this replica does
/// not trust (a key missing from <c>--trusted-key</c>, another deployment's key) answer 503
/// here. The store is sampled, not scanned, so the check costs one bounded query however many
/// pins there are.
/// </summary>
internal static partial class ForeignPins
{
    /// <summary>How many of the oldest pins are looked at: the oldest are the likeliest to predate a rotation.</summary>
    public const int Sample = 1000;

    /// <summary>The identities whose sightings count: each key's <c>key:sha256:…</c>, or the keyless identity.</summary>
    public static IReadOnlySet<string> Trusted(SightingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var keys = reader.SearchKeys.Where(k => !k.IsAnyKey).Select(k => SignerIdentity.ForKey(k.PublicKeyDer)).ToHashSet(StringComparer.Ordinal);
        return keys.Count > 0 ? keys : new HashSet<string>(StringComparer.Ordinal) { reader.Identity };
    }

    /// <summary>The pins of <paramref name="sightings"/> whose signer is not in <paramref name="trusted"/>, counted by identity.</summary>
    public static IReadOnlyDictionary<string, int> Count(IEnumerable<Sighting> sightings, IReadOnlySet<string> trusted) =>
        sightings.Where(s => !trusted.Contains(s.Identity)).GroupBy(s => s.Identity, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public static async Task WarnAsync(ISightingIndex store, SightingReader reader, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        SightingPage page;
        try
        {
            page = await store.ListAsync(0, Sample, cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException)
        {
            Log.NotChecked(logger, e.Message);
            return;
        }

        foreach (var (identity, count) in Count(page.Sightings, Trusted(reader)))
        {
            Log.Foreign(logger, count, page.Sightings.Count, identity);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Host.ForeignPins, Level = LogLevel.Warning,
            Message = "{Count} of the {Sampled} oldest pins in the store are signed by {Identity}, which this replica does not trust: they answer 503 here. Give that key with --trusted-key (or the keyless identity it belongs to), or every replica the same signing key")]
        public static partial void Foreign(ILogger logger, int count, int sampled, string identity);

        [LoggerMessage(EventId = EventIds.Host.ForeignPinsNotChecked, Level = LogLevel.Warning, Message = "could not check whose pins the store holds: {Reason}")]
        public static partial void NotChecked(ILogger logger, string reason);
    }
}
