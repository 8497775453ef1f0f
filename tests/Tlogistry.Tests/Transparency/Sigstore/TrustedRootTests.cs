using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

public sealed class TrustedRootTests
{
    [Fact]
    public void FixtureRootHasTheTwoRekorLogsAndTwoFulcioAuthorities()
    {
        var root = SigstoreFixtures.Root();

        Assert.Equal(2, root.Logs.Count);
        var v1 = root.Logs[0];
        Assert.Equal("https://rekor.sigstore.dev", v1.BaseUrl);
        Assert.Equal("c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", Convert.ToHexStringLower(v1.LogId));
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", v1.KeyDetails);
        Assert.Equal(new DateTimeOffset(2021, 1, 12, 11, 53, 27, TimeSpan.Zero), v1.ValidFrom);
        Assert.Null(v1.ValidUntil);
        var v2 = root.Logs[1];
        Assert.Equal("https://log2025-1.rekor.sigstore.dev", v2.BaseUrl);
        Assert.Equal("cf1199155bddd051268d1f16ac5c0c75c009f6fb5a63f4177f8e18d7051e3fa0", Convert.ToHexStringLower(v2.LogId));
        Assert.Equal("PKIX_ED25519", v2.KeyDetails);

        Assert.Equal(2, root.CertificateAuthorities.Count);
        var first = root.CertificateAuthorities[0];
        Assert.Equal("sigstore.dev", first.Organization);
        Assert.Equal("sigstore", first.CommonName);
        Assert.Equal("https://fulcio.sigstore.dev", first.Uri);
        Assert.Single(first.Certificates);
        Assert.Equal(new DateTimeOffset(2022, 12, 31, 23, 59, 59, 999, TimeSpan.Zero), first.ValidUntil);
        Assert.Equal(2, root.CertificateAuthorities[1].Certificates.Count);
    }

    [Fact]
    public void EmbeddedPublicGoodRootIsTheFixture()
    {
        var fixture = SigstoreFixtures.Root();
        var embedded = TrustedRoot.PublicGood;

        Assert.Equal(fixture.Logs.Count, embedded.Logs.Count);
        for (var i = 0; i < fixture.Logs.Count; i++)
        {
            Assert.Equal(fixture.Logs[i].LogId, embedded.Logs[i].LogId);
            Assert.Equal(fixture.Logs[i].PublicKeyDer, embedded.Logs[i].PublicKeyDer);
        }

        Assert.Equal(fixture.CertificateAuthorities.Count, embedded.CertificateAuthorities.Count);
    }

    [Fact]
    public void LogIdsAreComputedFromTheKeys()
    {
        var root = SigstoreFixtures.Root();
        var v1 = root.Logs[0];
        var v2 = root.Logs[1];

        Assert.Equal(v1.LogId, LogIds.ForRekorV1(v1.PublicKeyDer));
        var raw = PublicKeySignature.Ed25519RawKey(v2.PublicKeyDer);
        Assert.NotNull(raw);
        Assert.Equal(v2.LogId, LogIds.ForEd25519NoteKey("log2025-1.rekor.sigstore.dev", raw));
        Assert.Equal(v2.LogId, LogIds.ForNoteKey("log2025-1.rekor.sigstore.dev", NoteKeyType.Ed25519, raw));
        Assert.Equal(v2.PublicKeyDer, PublicKeySignature.Ed25519Spki(raw));
        Assert.NotEqual(v2.LogId, LogIds.ForRekorV1(v2.PublicKeyDer));
    }

    [Fact]
    public void FindLogMatchesByIdOnly()
    {
        var root = SigstoreFixtures.Root();

        Assert.Same(root.Logs[1], root.FindLog(root.Logs[1].LogId));
        Assert.Null(root.FindLog(new byte[32]));
    }

    [Fact]
    public void WrittenRootReadsBackWithItsLogsAndAuthorities()
    {
        var root = SigstoreFixtures.Root();
        var own = new TrustedLog("http://127.0.0.1:8080", new byte[32], root.Logs[1].PublicKeyDer, "PKIX_ED25519",
            new DateTimeOffset(2026, 2, 3, 4, 5, 6, TimeSpan.Zero), new DateTimeOffset(2027, 1, 1, 0, 0, 0, 500, TimeSpan.Zero));
        var extended = root.WithLogs([own]);

        var read = TrustedRoot.Parse(extended.Write());

        Assert.Equal(3, read.Logs.Count);
        Assert.Equal(own with { }, read.Logs[2] with { LogId = own.LogId, PublicKeyDer = own.PublicKeyDer });
        Assert.Equal(own.PublicKeyDer, read.Logs[2].PublicKeyDer);
        Assert.Equal(root.Logs[0].ValidFrom, read.Logs[0].ValidFrom);
        Assert.Equal(2, read.CertificateAuthorities.Count);
        Assert.Equal(root.CertificateAuthorities[1].Certificates[1], read.CertificateAuthorities[1].Certificates[1]);
        Assert.Equal(root.CertificateAuthorities[0].ValidUntil, read.CertificateAuthorities[0].ValidUntil);

        var selfOnly = TrustedRoot.Parse(TrustedRoot.Write([own]));
        Assert.Single(selfOnly.Logs);
        Assert.Empty(selfOnly.CertificateAuthorities);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}", "mediaType")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{\"baseUrl\":\"x\"}]}", "tlogs[0] has no publicKey")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{\"baseUrl\":\"x\",\"logId\":{\"keyId\":\"!\"},\"publicKey\":{\"rawBytes\":\"AA==\",\"keyDetails\":\"k\",\"validFor\":{\"start\":\"2021-01-01T00:00:00Z\"}}}]}", "keyId is not base64")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{\"baseUrl\":\"x\",\"logId\":{\"keyId\":\"AA==\"},\"publicKey\":{\"rawBytes\":\"AA==\",\"keyDetails\":\"k\",\"validFor\":{\"start\":\"soon\"}}}]}", "not an RFC 3339 time")]
    public void MalformedRootsAreRefusedWithAReason(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => TrustedRoot.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
