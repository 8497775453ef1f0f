using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Client.Verify;

/// <summary>A bundle that passed every offline check, with the log and checkpoint its proof leads to.</summary>
internal sealed record CheckedSighting(Sighting Sighting, TrustedLog Log, Checkpoint Checkpoint);

/// <summary>
/// The offline half of <c>tlogistry verify</c>, without I/O: the bundle is read by the service's
/// own <see cref="SightingReader"/> (signature, signer policy, log entry, inclusion proof,
/// checkpoint signed by the pinned log key), then it must be a sighting of exactly the tag
/// (and digest) asked about and carry an inclusion proof, whose checkpoint the log's current
/// one must later extend. Each failure is a <see cref="ClientException"/> naming the check.
/// </summary>
internal static class SightingCheck
{
    public static CheckedSighting Run(ClientTrust trust, SigstoreBundle bundle, TagReference reference, Digest? digest)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(bundle);
        var entry = bundle.Entry;
        var log = trust.Root.FindLog(entry.LogId)
            ?? throw new ClientException(
                $"the bundle's log (log ID {Convert.ToHexStringLower(entry.LogId)}) is not in the trusted root; pass --trusted-root with a root that lists it (a proxy publishes its own at /tlog/trusted_root.json: fetch it once and check it out of band)");

        Sighting sighting;
        try
        {
            sighting = trust.Reader.Read(bundle);
        }
        catch (LogVerificationException e)
        {
            throw new ClientException($"the bundle does not verify: {e.Message}{SignerHint(trust, bundle)}", e);
        }
        catch (FormatException e)
        {
            throw new ClientException($"the bundle is not a sighting by the expected signer: {e.Message}", e);
        }

        if (sighting.Reference != reference)
        {
            throw new ClientException($"the bundle is a sighting of {sighting.Reference}, not of {reference}");
        }

        if (digest is not null && sighting.Digest != digest)
        {
            throw new ClientException($"digest mismatch: {reference} was first seen as {sighting.Digest}, not {digest}");
        }

        if (entry.InclusionProof is not { } proof)
        {
            throw new ClientException("the bundle carries no inclusion proof, so its place in the log's tree cannot be checked against the log");
        }

        // The reader verified this note already; it is opened again here for its size and root.
        return new CheckedSighting(sighting, log, CheckpointVerifier.Verify(log, proof.Checkpoint));
    }

    /// <summary>When a key-mode signature fails, whether the bundle even names one of the expected keys.</summary>
    private static string SignerHint(ClientTrust trust, SigstoreBundle bundle)
    {
        if (trust.Keys.Count == 0 || bundle.Material.PublicKeyHint is not { } hint || trust.Keys.Any(k => KeyPolicy.Hint(k) == hint))
        {
            return "";
        }

        return $" (the bundle names signer key {hint}, not the expected {string.Join(", ", trust.Keys.Select(KeyPolicy.Hint))})";
    }
}
