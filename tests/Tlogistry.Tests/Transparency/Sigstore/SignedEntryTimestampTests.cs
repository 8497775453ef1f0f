using System.Security.Cryptography;
using System.Text;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

public sealed class SignedEntryTimestampTests
{
    [Theory]
    [InlineData("rekor-v1-dsse")]
    [InlineData("rekor-v1-hashedrekord")]
    [InlineData("rekor-v1-hashedrekord-pubkey")]
    [InlineData("rekor-v1-intoto-v002")]
    public void CanonicalPayloadIsTheBytesRekorSigned(string name)
    {
        var entry = SigstoreFixtures.Bundle(name).Entry;

        var payload = SignedEntryTimestamp.CanonicalPayload(entry);

        Assert.Equal((string)SigstoreFixtures.Entry(name)["derived"]!["setCanonicalJson"]!, Encoding.UTF8.GetString(payload));
        Assert.True(SignedEntryTimestamp.Verify(entry, TrustedRoot.PublicGood.Logs[0].PublicKeyDer));
    }

    [Fact]
    public void EntryWithoutASetDoesNotVerify()
    {
        var entry = SigstoreFixtures.Bundle("rekor-v2-dsse").Entry;

        Assert.False(SignedEntryTimestamp.Verify(entry, TrustedRoot.PublicGood.Logs[1].PublicKeyDer));
    }

    [Fact]
    public void EcdsaSetRoundTrips()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var entry = Entry(LogIds.ForRekorV1(spki));

        var signed = entry with { SignedEntryTimestamp = SignedEntryTimestamp.Sign(entry, key) };

        Assert.True(SignedEntryTimestamp.Verify(signed, spki));
        Assert.False(SignedEntryTimestamp.Verify(signed with { LogIndex = 8 }, spki));
        Assert.False(SignedEntryTimestamp.Verify(signed with { IntegratedTime = 1 }, spki));
    }

    [Fact]
    public void Ed25519SetRoundTrips()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var raw = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, raw, 0);
        var spki = PublicKeySignature.Ed25519Spki(raw);
        var entry = Entry(LogIds.ForEd25519NoteKey("example.org/log", raw));

        var signed = entry with { SignedEntryTimestamp = SignedEntryTimestamp.SignEd25519(entry, seed) };

        Assert.Equal(64, signed.SignedEntryTimestamp!.Length);
        Assert.True(SignedEntryTimestamp.Verify(signed, spki));
        Assert.False(SignedEntryTimestamp.Verify(signed with { CanonicalizedBody = "{}"u8.ToArray() }, spki));
    }

    [Fact]
    public void SignDelegateReceivesTheCanonicalPayload()
    {
        var entry = Entry(new byte[] { 0xab, 0x01 });
        byte[]? seen = null;

        SignedEntryTimestamp.Sign(entry, p => seen = p);

        Assert.Equal("{\"body\":\"eyJhIjoxfQ==\",\"integratedTime\":1700000000,\"logID\":\"ab01\",\"logIndex\":7}", Encoding.UTF8.GetString(seen!));
    }

    private static TlogEntry Entry(byte[] logId) =>
        new(7, logId, "hashedrekord", "0.0.1", 1700000000, null, null, "{\"a\":1}"u8.ToArray());
}
