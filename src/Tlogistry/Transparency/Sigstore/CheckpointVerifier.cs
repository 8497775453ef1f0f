using System.Security.Cryptography;
using System.Text;
using System.Collections.Concurrent;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// Opens a log's signed checkpoint with the key a trusted root gives for that log. Ed25519
/// (tiles) keys are named by the checkpoint origin, since their note key ID binds the name.
/// ECDSA (Rekor v1) key IDs hash only the key, and Rekor signs as its host name rather than
/// its origin line, so any name on a line with the key's ID is checked against the key; an
/// Ed25519 log listed under its Rekor v1 ID is read both ways.
/// </summary>
internal static class CheckpointVerifier
{
    /// <summary>Notes already verified that are kept (each a key of 44 characters and a parsed checkpoint, about 300 bytes).</summary>
    public const int VerifiedCapacity = 4096;

    // Notes already verified, by the hash of the log's key, its ID and the note's text: the
    // answer is a function of those alone, and one checkpoint covers every entry a batch
    // appended, so a process checks each checkpoint's signature once, not once per pin read.
    // When full it starts again empty: a later note costs one more signature check.
    private static readonly ConcurrentDictionary<string, Checkpoint> Verified = new(StringComparer.Ordinal);

    /// <summary>Throws <see cref="NoteVerificationException"/> unless the note is a checkpoint signed by the log's key.</summary>
    public static Checkpoint Verify(TrustedLog log, string signedNote)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(signedNote);
        var key = CacheKey(log, signedNote);
        if (Verified.TryGetValue(key, out var known))
        {
            return known;
        }

        var checkpoint = VerifyOnce(log, signedNote);
        if (Verified.Count >= VerifiedCapacity)
        {
            Verified.Clear();
        }

        Verified[key] = checkpoint;
        return checkpoint;
    }

    private static string CacheKey(TrustedLog log, string signedNote) =>
        Convert.ToBase64String(FramedHash.Sha256(log.PublicKeyDer, log.LogId, Encoding.UTF8.GetBytes(signedNote)));

    private static Checkpoint VerifyOnce(TrustedLog log, string signedNote)
    {
        SignedNote note;
        Checkpoint claimed;
        try
        {
            note = SignedNote.Parse(signedNote);
            claimed = Checkpoint.Parse(note.Text);
        }
        catch (FormatException e)
        {
            throw new NoteVerificationException(NoteVerificationReason.Malformed, "malformed checkpoint: " + e.Message, e);
        }

        var verified = NoteOpener.Verify(note, Verifiers(log, claimed.Origin, note));
        return Checkpoint.Parse(verified.Text);
    }

    private static List<INoteVerifier> Verifiers(TrustedLog log, string origin, SignedNote note)
    {
        if (PublicKeySignature.Ed25519RawKey(log.PublicKeyDer) is { } raw)
        {
            // A tiles log's ID is its note key hash, which names its origin: a checkpoint of
            // another log under the same key must not pass for this one. (A log listed under a
            // Rekor v1 ID, SHA-256 of the key, has no origin in its ID to bind.)
            var boundToOrigin = !log.LogId.AsSpan().SequenceEqual(LogIds.ForRekorV1(log.PublicKeyDer));
            var ok = NoteSyntax.IsValidKeyName(origin)
                && (!boundToOrigin || LogIds.ForEd25519NoteKey(origin, raw).AsSpan().SequenceEqual(log.LogId));
            List<INoteVerifier> verifiers = ok ? [new Ed25519NoteVerifier(origin, raw)] : [];
            if (!boundToOrigin)
            {
                // Rekor v1 names its key by the log ID's first four bytes and signs as its host.
                var v1KeyId = NoteKeyId.Ecdsa(log.PublicKeyDer);
                verifiers.AddRange(note.Signatures
                    .Where(s => s.KeyId == v1KeyId && NoteSyntax.IsValidKeyName(s.Name))
                    .Select(s => s.Name)
                    .Distinct(StringComparer.Ordinal)
                    .Select(name => Ed25519NoteVerifier.ForRekorV1(name, raw, log.PublicKeyDer)));
            }

            return verifiers;
        }

        var keyId = NoteKeyId.Ecdsa(log.PublicKeyDer);
        return note.Signatures
            .Where(s => s.KeyId == keyId)
            .Select(s => s.Name)
            .Distinct(StringComparer.Ordinal)
            .Select(name => (INoteVerifier)new EcdsaNoteVerifier(name, log.PublicKeyDer))
            .ToList();
    }
}
