using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

public sealed class CheckpointVerifierTests
{
    [Theory]
    [InlineData("rekor-v1-dsse", 0)]
    [InlineData("rekor-v1-intoto-v001", 0)]
    [InlineData("rekor-v2-dsse", 1)]
    [InlineData("rekor-v2-hashedrekord-create-response", 1)]
    public void PublishedCheckpointVerifiesWithItsLogsKey(string name, int log)
    {
        var text = File.ReadAllText(SigstoreFixtures.Path(name + "-checkpoint.txt"));
        var fixture = SigstoreFixtures.Entry(name);

        var checkpoint = CheckpointVerifier.Verify(TrustedRoot.PublicGood.Logs[log], text);

        Assert.Equal((string)fixture["checkpointOrigin"]!, checkpoint.Origin);
        Assert.Equal((long)fixture["inclusionProof"]!["treeSize"]!, checkpoint.Size);
        Assert.Equal((string)fixture["inclusionProof"]!["rootHashHex"]!, Convert.ToHexStringLower(checkpoint.RootHash));
    }

    [Fact]
    public void CheckpointFromTheOtherLogIsRefused()
    {
        var v2 = File.ReadAllText(SigstoreFixtures.Path("rekor-v2-dsse-checkpoint.txt"));
        var v1 = File.ReadAllText(SigstoreFixtures.Path("rekor-v1-dsse-checkpoint.txt"));

        Assert.Equal(NoteVerificationReason.Unverified, Assert.Throws<NoteVerificationException>(() => CheckpointVerifier.Verify(TrustedRoot.PublicGood.Logs[0], v2)).Reason);
        Assert.Equal(NoteVerificationReason.Unverified, Assert.Throws<NoteVerificationException>(() => CheckpointVerifier.Verify(TrustedRoot.PublicGood.Logs[1], v1)).Reason);
    }

    [Fact]
    public void SelfHostedLogCheckpointVerifies()
    {
        var signer = Ed25519NoteSigner.Generate("tlogistry.local/test");
        var log = LogOf(signer);
        var note = NoteOpener.Sign(new Checkpoint(signer.Name, 3, new byte[32], []).Format(), signer);

        Assert.Equal(3, CheckpointVerifier.Verify(log, note).Size);
        Assert.Equal(NoteVerificationReason.Malformed, Assert.Throws<NoteVerificationException>(() => CheckpointVerifier.Verify(log, "not a note")).Reason);
    }

    [Fact]
    public void ANoteVerifiedOnceDoesNotVouchForAnotherSignatureOrAnotherLog()
    {
        var signer = Ed25519NoteSigner.Generate("tlogistry.local/cache");
        var log = LogOf(signer);
        var note = NoteOpener.Sign(new Checkpoint(signer.Name, 7, new byte[32], []).Format(), signer);
        Assert.Equal(7, CheckpointVerifier.Verify(log, note).Size);
        Assert.Equal(7, CheckpointVerifier.Verify(log, note).Size);

        // The same text under a signature of another key with the same name: not the verified note.
        var impostor = Ed25519NoteSigner.Generate("tlogistry.local/cache");
        var forged = NoteOpener.Sign(new Checkpoint(signer.Name, 7, new byte[32], []).Format(), impostor);
        Assert.Throws<NoteVerificationException>(() => CheckpointVerifier.Verify(log, forged));

        // The verified note itself, asked of a log with another key: refused, not found in the cache.
        Assert.Throws<NoteVerificationException>(() => CheckpointVerifier.Verify(LogOf(Ed25519NoteSigner.Generate("tlogistry.local/cache")), note));
    }

    /// <summary>A tiles log trusted under <paramref name="signer"/>'s key.</summary>
    private static TrustedLog LogOf(Ed25519NoteSigner signer)
    {
        var raw = Convert.FromBase64String(signer.Vkey.Split('+', 3)[2])[1..];
        return new TrustedLog("http://127.0.0.1", LogIds.ForEd25519NoteKey(signer.Name, raw), PublicKeySignature.Ed25519Spki(raw), "PKIX_ED25519", DateTimeOffset.UnixEpoch, null);
    }
}
