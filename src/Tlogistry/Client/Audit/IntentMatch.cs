using Tlogistry.Ledger;
using Tlogistry.Store;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Client.Audit;

/// <summary>
/// Explains entries of ours that no published bundle holds by the published append intents:
/// an entry is explained when an intent's envelope, put in a bundle with that entry, verifies
/// as a sighting of ours of the intent's tag (the entry commits to that envelope, signed by a
/// key that counts). Candidates are found by signature bytes, so each entry checks only the
/// intents that could be it. What it yields is a sighting like any other: it takes part in
/// the conflict check. No I/O.
/// </summary>
internal sealed class IntentMatch
{
    private readonly ILookup<string, AppendIntent> _bySignature;
    private readonly SightingReader _reader;

    public IntentMatch(IEnumerable<AppendIntent> intents, SightingReader reader)
    {
        _bySignature = intents.SelectMany(i => i.Envelope.Signatures.Select(s => (Key: Convert.ToBase64String(s.Signature), Intent: i))).ToLookup(p => p.Key, p => p.Intent, StringComparer.Ordinal);
        _reader = reader;
    }

    /// <summary>The sighting <paramref name="entry"/> records according to an intent, or null when no intent explains it.</summary>
    public Sighting? Explain(OurEntry ours, TlogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(entry);
        foreach (var signature in Signatures(ours, entry))
        {
            foreach (var intent in _bySignature[Convert.ToBase64String(signature)])
            {
                try
                {
                    var sighting = _reader.Read(_reader.Bundle(entry, intent.Envelope));
                    if (sighting.Reference == intent.Reference)
                    {
                        return sighting;
                    }
                }
                catch (Exception e) when (e is FormatException or LogVerificationException)
                {
                    // Not this intent's entry (or not a valid one): try the next.
                }
            }
        }

        return null;
    }

    /// <summary>The signatures the entry records: its envelope's when the log keeps it, else those its body names.</summary>
    private static IEnumerable<byte[]> Signatures(OurEntry ours, TlogEntry entry)
    {
        if (ours.Sighting?.Bundle.Envelope is { } envelope)
        {
            return envelope.Signatures.Select(s => s.Signature);
        }

        try
        {
            return EntryBody.Parse(entry.CanonicalizedBody, entry.Kind, entry.Version).Signers.Where(s => s.Signature is not null).Select(s => s.Signature!).ToList();
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
