using System.Security.Cryptography;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Transparency.Notes;

/// <summary>Hand-written edge cases for note and checkpoint syntax and the trust rules.</summary>
public sealed class NoteParsingTests
{
    private const string Text = "hello\n";

    private static readonly Ed25519NoteSigner Signer = new("example.com/a", new byte[32]);

    [Fact]
    public void Ed25519KeyIdFollowsTheSpecRule()
    {
        var publicKey = Convert.FromBase64String(Signer.Vkey.Split('+', 3)[2])[1..];
        byte[] input = [.. "example.com/a"u8, 0x0A, 0x01, .. publicKey];
        var expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));

        Assert.Equal(expected, Signer.KeyId);
        Assert.Equal(expected, new Ed25519NoteVerifier("example.com/a", publicKey).KeyId);
        Assert.Equal(expected, NoteKeyId.Ed25519("example.com/a", publicKey));
    }

    [Fact]
    public void TextEndsAtTheLastBlankLine()
    {
        var note = NoteOpener.Sign("a\n\nb\n\n", Signer);
        var opened = NoteOpener.Open(note, [Signer.Verifier]);
        Assert.Equal("a\n\nb\n\n", opened.Text);
    }

    [Fact]
    public void SixteenSignaturesAreAccepted()
    {
        var signers = Enumerable.Range(0, 16).Select(i => new Ed25519NoteSigner($"k{i}", Enumerable.Repeat((byte)i, 32).ToArray())).ToArray();
        var note = NoteOpener.Sign(Text, signers);

        var opened = NoteOpener.Open(note, signers.Select(s => (INoteVerifier)s.Verifier));
        Assert.Equal(16, opened.VerifiedSignatures.Count);
    }

    [Fact]
    public void BadSignatureFromAKnownKeyRejectsEvenBesideAGoodOne()
    {
        var good = SignedNote.Parse(NoteOpener.Sign(Text, Signer));
        var bad = good.Signatures[0] with { Signature = new byte[64] };
        var note = good with { Signatures = [good.Signatures[0], bad] };

        var error = Assert.Throws<NoteVerificationException>(() => NoteOpener.Open(note.Format(), [Signer.Verifier]));
        Assert.Equal(NoteVerificationReason.InvalidSignature, error.Reason);
    }

    [Fact]
    public void SameKeyTrustedTwiceIsAmbiguousOnlyWhenUsed()
    {
        var note = NoteOpener.Sign(Text, Signer);
        var error = Assert.Throws<NoteVerificationException>(() => NoteOpener.Open(note, [Signer.Verifier, Signer.Verifier]));
        Assert.Equal(NoteVerificationReason.Ambiguous, error.Reason);

        var other = new Ed25519NoteSigner("example.com/b", new byte[32]);
        Assert.Single(NoteOpener.Open(NoteOpener.Sign(Text, other), [Signer.Verifier, Signer.Verifier, other.Verifier]).VerifiedSignatures);
    }

    [Theory]
    [InlineData("hello\n\n\u2014 example.com/a  AAAAAAA=\n")] // two spaces
    [InlineData("hello\n\n\u2014 example.com/a AAAA AAA=\n")] // space inside base64
    [InlineData("hello\n\n\u2014 example.com/a AAAAAA==\n")] // too short for key ID + signature
    [InlineData("hello\n\n- example.com/a AAAAAAA=\n")] // hyphen, not em dash
    [InlineData("hello\n\n\u2014 example.com/a AAAAAAA=\r\n")] // CR is a control character
    [InlineData("hello\n\n\u2014 a+b AAAAAAA=\n")] // '+' in key name
    [InlineData("hello\n\n\u2014 a\u00a0b AAAAAAA=\n")] // Unicode space in key name
    [InlineData("hello\n\n\u2014 example.com/a AAAAAAA=\n\n")] // trailing blank line
    [InlineData("hello\n\n\ud800\n\u2014 example.com/a AAAAAAA=\n")] // lone surrogate
    public void MalformedNotesAreRejected(string note)
    {
        Assert.Throws<FormatException>(() => SignedNote.Parse(note));
        var error = Assert.Throws<NoteVerificationException>(() => NoteOpener.Open(note, [Signer.Verifier]));
        Assert.Equal(NoteVerificationReason.Malformed, error.Reason);
    }

    [Fact]
    public void InvalidUtf8BytesAreMalformed()
    {
        byte[] note = [0xff, .. System.Text.Encoding.UTF8.GetBytes(NoteOpener.Sign(Text, Signer))];
        var error = Assert.Throws<NoteVerificationException>(() => NoteOpener.Open(note, [Signer.Verifier]));
        Assert.Equal(NoteVerificationReason.Malformed, error.Reason);
    }

    [Theory]
    [InlineData("no final newline")]
    [InlineData("tab\there\n")]
    public void SignRefusesTextThatCouldNotBeOpened(string text) =>
        Assert.Throws<ArgumentException>(() => NoteOpener.Sign(text, Signer));

    [Fact]
    public void SignRequiresASigner() =>
        Assert.Throws<ArgumentException>(() => NoteOpener.Sign(Text));

    [Theory]
    [InlineData("o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")] // leading zero
    [InlineData("o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")] // sign
    [InlineData("o\n 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")] // space
    [InlineData("o\n\u0661\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")] // non-ASCII digit
    [InlineData("o\n9223372036854775808\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")] // beyond long
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n")] // non-canonical base64
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n")] // missing padding
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\r\n")] // CRLF
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n\n")] // empty extension
    public void StrictCheckpointRejections(string body) =>
        Assert.Throws<FormatException>(() => Checkpoint.Parse(body));

    [Fact]
    public void CheckpointFormatRoundTripsAndComparesByValue()
    {
        var checkpoint = new Checkpoint("example.com/log", 0, new byte[32], ["a", "b c"]);
        var body = checkpoint.Format();

        Assert.Equal("example.com/log\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\na\nb c\n", body);
        Assert.Equal(checkpoint, Checkpoint.Parse(body));
        Assert.NotEqual(checkpoint, checkpoint with { RootHash = Enumerable.Repeat((byte)1, 32).ToArray() });
        Assert.Throws<InvalidOperationException>(() => (checkpoint with { RootHash = new byte[31] }).Format());
        Assert.Throws<InvalidOperationException>(() => (checkpoint with { Extensions = [""] }).Format());
    }

    [Fact]
    public void EcdsaRequiresP256()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => new EcdsaNoteSigner("k", p384));
        Assert.Throws<ArgumentException>(() => new EcdsaNoteVerifier("k", p384));
        var vkey = NoteVerifiers.FormatVkey("k", NoteKeyId.Ecdsa(p384.ExportSubjectPublicKeyInfo()), NoteKeyType.Ecdsa, p384.ExportSubjectPublicKeyInfo());
        Assert.Throws<FormatException>(() => NoteVerifiers.FromVkey(vkey));
    }

    [Fact]
    public void GarbageSignaturesAndKeysVerifyAsFalseRatherThanThrow()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecdsa = new EcdsaNoteVerifier("k", key);
        Assert.False(ecdsa.Verify(Text, [0x30, 0x03, 0x02, 0x01]));
        Assert.False(ecdsa.Verify(Text, []));

        var notAPoint = new Ed25519NoteVerifier("k", Enumerable.Repeat((byte)0xff, 32).ToArray());
        Assert.False(notAPoint.Verify(Text, new byte[64]));
        Assert.False(Signer.Verifier.Verify(Text, new byte[63]));
    }
}
