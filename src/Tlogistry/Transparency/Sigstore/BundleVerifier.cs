using System.Security.Cryptography;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// Verifies Sigstore bundles and log entries offline against a trusted root. The log's
/// evidence is checked first (trusted log, SET, inclusion proof, checkpoint, key validity),
/// then the signature, then that the logged body commits to exactly this signature. Every
/// failure is a <see cref="LogVerificationException"/> naming the check and the log index.
/// </summary>
/// <param name="legacy">The log and key whose unsigned intoto 0.0.1 entries count; none when null.</param>
internal sealed class BundleVerifier(TrustedRoot root, LegacyTrustUnsafe? legacy = null)
{
    private readonly TrustedRoot root = root ?? throw new ArgumentNullException(nameof(root));

    /// <summary>What this verifier trusts, as bytes: the trusted root as written, then the legacy log and key.</summary>
    public byte[] Terms()
    {
        using var terms = new MemoryStream();
        terms.Write(root.Write());
        if (legacy is not null)
        {
            terms.Write("\nlegacy "u8);
            terms.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(legacy.LogId) + " " + Convert.ToHexStringLower(legacy.PublicKeyDer)));
        }

        return terms.ToArray();
    }

    /// <summary>When the trusted logs, authorities and CT logs stop being valid: a bundle judged at "now" before one of these may fail after it.</summary>
    public IEnumerable<DateTimeOffset> ValidityEnds =>
        root.Logs.Select(l => l.ValidUntil)
            .Concat(root.CtLogs.Select(l => l.ValidUntil))
            .Concat(root.CertificateAuthorities.Select(a => a.ValidUntil))
            .Concat(root.TimestampAuthorities.Select(a => a.ValidUntil))
            .OfType<DateTimeOffset>();

    public VerifiedBundle Verify(SigstoreBundle bundle, BundleSigner signer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(signer);
        var entry = bundle.Entry;
        var verified = VerifyEntry(entry, now);

        var leaf = bundle.Material.Certificates.Count > 0 ? bundle.Material.Certificates[0] : null;
        var leafKey = leaf is null ? null : Guard(entry, "signer", () => BodySigner.CertificateKey(leaf));
        var key = signer.PublicKeyDer ?? leafKey
            ?? throw Fail(entry, "signer", "the bundle has no certificate and no expected key was given");
        if (signer.PublicKeyDer is not null && leafKey is not null && !leafKey.AsSpan().SequenceEqual(key))
        {
            throw Fail(entry, "signer", "the certificate's key is not the expected key");
        }

        // The signature the signer's key verified: the one timestamps may date.
        byte[]? signed = null;

        if (bundle.Envelope is { Signatures.Count: 0 } && IsUnsignedIntoto(entry))
        {
            // intoto v0.0.1 keeps no signature anywhere: Rekor checked it against the body's
            // key when it admitted the entry, and only its SET says so. A log that holds its own
            // key can say so of anything, so only the operator's named legacy log and key count.
            if (legacy is null || !legacy.Covers(entry.LogId, key))
            {
                throw Fail(entry, "signature", "an intoto 0.0.1 entry keeps no signature, and only the legacy log and key named by --legacy-log and --legacy-key may vouch for one");
            }

            if (entry.SignedEntryTimestamp is null)
            {
                throw Fail(entry, "signature", "an intoto 0.0.1 entry keeps no signature, and without a signed entry timestamp nothing vouches for it");
            }
        }
        else if (bundle.Envelope is { } envelope)
        {
            var pae = envelope.Pae();
            signed = envelope.Signatures.FirstOrDefault(s => PublicKeySignature.VerifyData(key, pae, s.Signature))?.Signature
                ?? throw Fail(entry, "signature", "no envelope signature verifies with the signer's key");
        }
        else if (bundle.MessageSignature is { } message)
        {
            if (!PublicKeySignature.VerifyDigest(key, message.Digest, message.Signature))
            {
                throw Fail(entry, "signature", "the message signature does not verify with the signer's key");
            }

            signed = message.Signature;
        }
        else
        {
            throw Fail(entry, "signature", "the bundle holds neither an envelope nor a message signature");
        }

        var body = Guard(entry, "body", () => EntryBody.Parse(entry.CanonicalizedBody, entry.Kind, entry.Version));
        var mismatch = bundle.Envelope is { } e ? body.FindMismatch(e) : body.FindMismatch(bundle.MessageSignature!);
        if (mismatch is not null)
        {
            throw Fail(entry, "body", mismatch);
        }

        // A body that names its signer must name this one; a sighting leaf names none.
        if (body.Signers.Count > 0
            && !body.Signers.Any(s => Guard(entry, "body", () => s.PublicKeyDer).AsSpan().SequenceEqual(key)))
        {
            throw Fail(entry, "body", "the logged signer is not the bundle's signer");
        }

        // An embedded leaf states its own integrated time, covered by the inclusion proof: that
        // time is as good as a SET, once it agrees with the entry's.
        if (body.LeafIntegratedTime is { } leafTime)
        {
            if (leafTime != entry.IntegratedTime)
            {
                throw Fail(entry, "body", $"the leaf's integrated time {leafTime} is not the entry's {entry.IntegratedTime}");
            }

            verified = verified with { IntegratedTime = DateTimeOffset.FromUnixTimeSeconds(leafTime) };
        }

        var times = VerifyTimestamps(bundle, signed, verified.Log);
        return new VerifiedBundle(verified, key, leaf, bundle.Envelope, bundle.MessageSignature) { TimestampTimes = times };
    }

    /// <summary>
    /// The times the bundle's RFC 3161 timestamps state. Each must verify against the root's
    /// timestamp authorities over exactly the signature that verified with the signer's key (not
    /// a co-signer's, whose time says nothing of this signer) and fall inside the log key's window: one that does not fails
    /// the bundle, since a forged or misplaced time is an attack, not noise. A root that names
    /// no timestamp authority trusts no timestamp, so there they date nothing and are not read.
    /// </summary>
    private List<DateTimeOffset> VerifyTimestamps(SigstoreBundle bundle, byte[]? signature, TrustedLog log)
    {
        var entry = bundle.Entry;
        if (bundle.Material.Rfc3161Timestamps.Count == 0 || root.TimestampAuthorities.Count == 0)
        {
            return [];
        }

        if (signature is null)
        {
            throw Fail(entry, "timestamp", "the bundle holds no signature for its timestamps to date");
        }

        var times = new List<DateTimeOffset>();
        for (var i = 0; i < bundle.Material.Rfc3161Timestamps.Count; i++)
        {
            DateTimeOffset at;
            try
            {
                at = SignedTimestamp.Verify(bundle.Material.Rfc3161Timestamps[i], signature, root.TimestampAuthorities);
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                throw Fail(entry, "timestamp", $"RFC 3161 timestamp {i}: {ex.Message}", ex);
            }

            if (at < log.ValidFrom || (log.ValidUntil is { } until && at > until))
            {
                throw Fail(entry, "validity window", $"timestamp {i}'s time {at:u} is outside the log key's validity ({log.ValidFrom:u} to {log.ValidUntil?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "open"})");
            }

            times.Add(at);
        }

        return times;
    }

    private static bool IsUnsignedIntoto(TlogEntry entry) => entry.Kind == "intoto" && entry.Version == "0.0.1";

    /// <summary>The log's side alone: trusted log, SET, inclusion proof and checkpoint, validity window.</summary>
    public VerifiedEntry VerifyEntry(TlogEntry entry, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var log = root.FindLog(entry.LogId)
            ?? throw Fail(entry, "trusted log", $"log ID {Convert.ToHexStringLower(entry.LogId)} is not in the trusted root");

        if (entry.SignedEntryTimestamp is null && entry.InclusionProof is null)
        {
            throw Fail(entry, "inclusion proof", "the entry has neither a signed entry timestamp nor an inclusion proof");
        }

        if (entry.SignedEntryTimestamp is not null && !SignedEntryTimestamp.Verify(entry, log.PublicKeyDer))
        {
            throw Fail(entry, "signed entry timestamp", "it does not verify with the log's key");
        }

        Checkpoint? checkpoint = null;
        if (entry.InclusionProof is { } proof)
        {
            try
            {
                MerkleProof.VerifyInclusion(proof.LogIndex, proof.TreeSize, Rfc6962.LeafHash(entry.CanonicalizedBody), proof.Hashes, proof.RootHash);
            }
            catch (MerkleProofException ex)
            {
                throw Fail(entry, "inclusion proof", ex.Message, ex);
            }

            try
            {
                checkpoint = CheckpointVerifier.Verify(log, proof.Checkpoint);
            }
            catch (Exception ex) when (ex is NoteVerificationException or ArgumentException)
            {
                throw Fail(entry, "checkpoint", ex.Message, ex);
            }

            if (checkpoint.Size != proof.TreeSize || !CryptographicOperations.FixedTimeEquals(checkpoint.RootHash, proof.RootHash))
            {
                throw Fail(entry, "checkpoint", $"the signed tree (size {checkpoint.Size}) is not the proof's tree (size {proof.TreeSize}) or has another root");
            }
        }

        if (entry.SignedEntryTimestamp is null && entry.InclusionProof is { } p && p.LogIndex != entry.LogIndex)
        {
            // Without a SET nothing else binds the index the entry claims; a single-tree log's proof does.
            throw Fail(entry, "inclusion proof", $"the entry claims index {entry.LogIndex} but the proof is for leaf {p.LogIndex}");
        }

        // Only a SET signs the integrated time; without one it is the bundle's word, and the
        // caller treats the time as unknown (an embedded leaf's own time is bound by Verify).
        DateTimeOffset? integrated = entry.IntegratedTime != 0 && entry.SignedEntryTimestamp is not null ? (entry.IntegratedTime >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && entry.IntegratedTime <= DateTimeOffset.MaxValue.ToUnixTimeSeconds() ? DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime) : throw Fail(entry, "integratedTime", $"{entry.IntegratedTime} is not a time")) : null;
        var at = integrated ?? now;
        if (at < log.ValidFrom || (log.ValidUntil is { } until && at > until))
        {
            throw Fail(entry, "validity window", $"{at:u} is outside the log key's validity ({log.ValidFrom:u} to {log.ValidUntil?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "open"})");
        }

        return new VerifiedEntry(log, integrated, checkpoint);
    }

    private static T Guard<T>(TlogEntry entry, string check, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (FormatException ex)
        {
            throw Fail(entry, check, ex.Message, ex);
        }
    }

    private static LogVerificationException Fail(TlogEntry entry, string check, string detail, Exception? inner = null)
    {
        var message = $"log entry {entry.LogIndex}: {check} check failed: {detail}";
        return inner is null ? new LogVerificationException(message) : new LogVerificationException(message, inner);
    }
}
