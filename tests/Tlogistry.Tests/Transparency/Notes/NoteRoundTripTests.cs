using System.Security.Cryptography;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Transparency.Notes;

/// <summary>Signs a checkpoint with fresh Ed25519 and ECDSA keys, opens it, and tampers with it.</summary>
public sealed class NoteRoundTripTests : IDisposable
{
    private readonly ECDsa ecdsaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly Ed25519NoteSigner edSigner = Ed25519NoteSigner.Generate("example.com/tlogistry");
    private readonly EcdsaNoteSigner ecSigner;
    private readonly Checkpoint checkpoint;
    private readonly string note;

    public NoteRoundTripTests()
    {
        ecSigner = new EcdsaNoteSigner("example.com/tlogistry-ecdsa", ecdsaKey);
        checkpoint = new Checkpoint("example.com/tlogistry", 123456, SHA256.HashData("root"u8), ["ext line"]);
        note = NoteOpener.Sign(checkpoint.Format(), edSigner, ecSigner);
    }

    public void Dispose() => ecdsaKey.Dispose();

    private INoteVerifier[] BothVerifiers => [NoteVerifiers.FromVkey(edSigner.Vkey), NoteVerifiers.FromVkey(ecSigner.Vkey)];

    [Fact]
    public void OpensWithBothKeysAndRoundTripsTheCheckpoint()
    {
        var opened = NoteOpener.Open(note, BothVerifiers);

        Assert.Equal([edSigner.Name, ecSigner.Name], opened.VerifiedSignatures.Select(s => s.Name));
        Assert.Empty(opened.UnverifiedSignatures);
        Assert.Equal(checkpoint, Checkpoint.Parse(opened.Text));
        Assert.Equal(note, SignedNote.Parse(note).Format());
    }

    [Fact]
    public void KeyOnlyKnownByOneSideLeavesTheOtherUnverified()
    {
        var opened = NoteOpener.Open(note, [ecSigner.Verifier]);

        Assert.Equal(ecSigner.Name, Assert.Single(opened.VerifiedSignatures).Name);
        Assert.Equal(edSigner.Name, Assert.Single(opened.UnverifiedSignatures).Name);
    }

    [Fact]
    public void NoTrustedKeyIsUnverified()
    {
        var other = Ed25519NoteSigner.Generate("example.com/tlogistry");
        var error = Assert.Throws<NoteVerificationException>(() => NoteOpener.Open(note, [other.Verifier]));

        Assert.Equal(NoteVerificationReason.Unverified, error.Reason);
        Assert.Equal(2, error.UnverifiedSignatures.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TamperedSizeIsRejected(bool ed25519)
    {
        var tampered = note.Replace("\n123456\n", "\n123457\n", StringComparison.Ordinal);
        Assert.NotEqual(note, tampered);
        AssertInvalid(tampered, ed25519);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TamperedRootIsRejected(bool ed25519)
    {
        var root = Convert.ToBase64String(checkpoint.RootHash);
        var changed = (root[0] == 'A' ? 'B' : 'A') + root[1..];
        var tampered = note.Replace(root, changed, StringComparison.Ordinal);
        Assert.NotEqual(checkpoint.RootHash, Checkpoint.Parse(SignedNote.Parse(tampered).Text).RootHash);
        AssertInvalid(tampered, ed25519);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 63)]
    [InlineData(false, 0)]
    [InlineData(false, 10)]
    public void TamperedSignatureIsRejected(bool ed25519, int offset)
    {
        var parsed = SignedNote.Parse(note);
        var index = ed25519 ? 0 : 1;
        var bytes = parsed.Signatures[index].Signature.ToArray();
        bytes[offset] ^= 0x01;
        var signatures = parsed.Signatures.ToArray();
        signatures[index] = signatures[index] with { Signature = bytes };

        var tampered = parsed with { Signatures = signatures };
        AssertInvalid(tampered.Format(), ed25519);
    }

    [Fact]
    public void TamperedKeyIdMakesTheSignatureUnknown()
    {
        var parsed = SignedNote.Parse(note);
        var sig = parsed.Signatures[0];
        var renamed = sig with { KeyId = sig.KeyId ^ 1 };
        var tampered = parsed with { Signatures = [renamed] };

        var error = Assert.Throws<NoteVerificationException>(() => NoteOpener.Open(tampered.Format(), BothVerifiers));
        Assert.Equal(NoteVerificationReason.Unverified, error.Reason);
    }

    [Fact]
    public void SkeyRoundTripsToAnEquivalentSigner()
    {
        var copy = Ed25519NoteSigner.FromSkey(edSigner.Skey);
        Assert.Equal(edSigner.Vkey, copy.Vkey);
        Assert.Equal(edSigner.Sign("x\n"), copy.Sign("x\n"));
    }

    [Fact]
    public void GeneratedKeysDiffer() =>
        Assert.NotEqual(edSigner.Vkey, Ed25519NoteSigner.Generate(edSigner.Name).Vkey);

    [Fact]
    public void EcdsaKeyIdHashesTheSpki()
    {
        var expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(ecdsaKey.ExportSubjectPublicKeyInfo()));
        Assert.Equal(expected, ecSigner.KeyId);
        Assert.Equal(expected, new EcdsaNoteVerifier(ecSigner.Name, ecdsaKey).KeyId);
    }

    private void AssertInvalid(string tampered, bool ed25519)
    {
        // Trust only the key whose signature is under test, so the other one cannot mask the failure.
        INoteVerifier verifier = ed25519 ? edSigner.Verifier : ecSigner.Verifier;
        var error = Assert.Throws<NoteVerificationException>(() => NoteOpener.Open(tampered, [verifier]));
        Assert.Equal(NoteVerificationReason.InvalidSignature, error.Reason);
    }
}
