using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Tlogistry.Client;
using Tlogistry.Client.Verify;
using Tlogistry.LogServer;
using Tlogistry.Signing.Timestamps;
using Tlogistry.Tests.LogServer;
using Tlogistry.Tests.Transparency.Sigstore.Identity;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore;

/// <summary>
/// RFC 3161 timestamps of the real public-good Rekor v2 bundles (timestamp.sigstore.dev),
/// verified against the fixture trusted root, date the signature where the log states no
/// time; every way a token can lie is refused with the reason.
/// </summary>
public sealed class SignedTimestampTests
{
    private const string TimestampCheck = "timestamp check failed";

    public static readonly TheoryData<string, string> Stamped = new()
    {
        { "rekor-v2-dsse", "2025-12-11T19:36:08Z" },
        { "rekor-v2-hashedrekord", "2025-12-14T02:04:50Z" },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Stamped))]
    public void RealTimestampDatesTheV2Signature(string name, string time)
    {
        var bundle = SigstoreFixtures.Bundle(name);

        var verified = new BundleVerifier(SigstoreFixtures.Root()).Verify(bundle, BundleSigner.AnyCertificate, SigstoreFixtures.Now);

        Assert.Null(verified.IntegratedTime);
        Assert.Equal([FulcioLeaf.Time(time)], verified.TimestampTimes);
        Assert.Equal(verified.TimestampTimes, verified.VerifiedTimes);
    }

    [Theory]
    [MemberData(nameof(Stamped))]
    public void KeylessCertificateChecksAtTheTimestampsTime(string name, string time)
    {
        var leaf = FulcioLeaf.Get(name);
        var verified = new BundleVerifier(SigstoreFixtures.Root()).Verify(leaf.Bundle(), BundleSigner.AnyCertificate, SigstoreFixtures.Now);
        var policy = new CertificatePolicy(SigstoreFixtures.Root(), CertificateIdentity.Parse(leaf.San), leaf.Issuer);

        policy.Check(verified, Assert.Single(verified.VerifiedTimes));

        // The same certificate an hour later has expired: the time is what makes it pass.
        var later = FulcioLeaf.Time(time).AddHours(1);
        Assert.Contains("certificate validity check failed", Assert.Throws<LogVerificationException>(() => policy.Check(verified, later)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyCommandDatesTheRealV2BundleByItsTimestamp()
    {
        // The bundle is a real keyless Rekor v2 signature, not a sighting: the command now gets
        // past the time check (which refused it for lack of an integrated time) and the signer
        // policy, and stops only where a sighting's content is read.
        var leaf = FulcioLeaf.Get("rekor-v2-dsse");
        var trust = new TrustFlags(SigstoreFixtures.Path("trusted_root.json"), [], leaf.San, leaf.Issuer);
        var request = new VerifyRequest("example.test/app:v1", null, SigstoreFixtures.Path("rekor-v2-dsse-bundle.sigstore.json"), new Uri("http://127.0.0.1:9"), trust, null, null);

        var e = await Assert.ThrowsAsync<ClientException>(() => TagVerification.RunAsync(request, Ct));

        Assert.Contains("is not a sighting by the expected signer: envelope payload type is text/plain", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("time check", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampOverAnotherSignatureIsRefused()
    {
        var dsse = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var other = SigstoreFixtures.Bundle("rekor-v2-hashedrekord").Material.Rfc3161Timestamps[0];
        var swapped = dsse with { Material = dsse.Material with { Rfc3161Timestamps = [other] } };

        var message = Reject(swapped, SigstoreFixtures.Root());

        Assert.Contains(TimestampCheck, message, StringComparison.Ordinal);
        Assert.Contains("message imprint is not the hash of this signature", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampFromAnAuthorityOutsideTheRootIsRefused()
    {
        // The root names an authority, but not timestamp.sigstore.dev: Fulcio's chain in its place.
        var root = SigstoreFixtures.Root();
        var stranger = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs, [root.CertificateAuthorities[1]]);

        var message = Reject(SigstoreFixtures.Bundle("rekor-v2-dsse"), stranger);

        Assert.Contains("no trusted timestamp authority issued it", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampOutsideTheAuthoritysWindowIsRefused()
    {
        var root = SigstoreFixtures.Root();
        var tsa = root.TimestampAuthorities[0];
        var late = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs, [tsa with { ValidFrom = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) }]);
        var early = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs, [tsa with { ValidUntil = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero) }]);

        Assert.Contains("is outside its validity", Reject(SigstoreFixtures.Bundle("rekor-v2-dsse"), late), StringComparison.Ordinal);
        Assert.Contains("is outside its validity", Reject(SigstoreFixtures.Bundle("rekor-v2-dsse"), early), StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampOutsideTheLogKeysWindowIsRefused()
    {
        var root = SigstoreFixtures.Root();
        var logs = root.Logs.Select(l => l with { ValidUntil = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero) });
        var retired = new TrustedRoot(logs, root.CertificateAuthorities, root.CtLogs, root.TimestampAuthorities);

        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(retired).Verify(SigstoreFixtures.Bundle("rekor-v2-dsse"), BundleSigner.AnyCertificate, new DateTimeOffset(2025, 11, 1, 0, 0, 0, TimeSpan.Zero)));

        Assert.Contains("timestamp 0's time 2025-12-11 19:36:08Z is outside the log key's validity", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TamperedTokenIsRefused()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var token = bundle.Material.Rfc3161Timestamps[0];

        // The last bytes are the token's signature.
        var flipped = bundle with { Material = bundle.Material with { Rfc3161Timestamps = [SigstoreFixtures.Flip(token, token.Length - 3)] } };

        Assert.Contains("signature does not verify", Reject(flipped, SigstoreFixtures.Root()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("MAMCAQI=")]
    public void GarbageTokenIsRefused(string base64)
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var bytes = base64 == "garbage" ? "garbage"u8.ToArray() : Convert.FromBase64String(base64);

        var message = Reject(bundle with { Material = bundle.Material with { Rfc3161Timestamps = [bytes] } }, SigstoreFixtures.Root());

        Assert.Contains(TimestampCheck, message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusedResponseIsNamed()
    {
        // TimeStampResp with status 2 (rejection) and no token.
        var e = Assert.Throws<FormatException>(() => SignedTimestamp.Decode(Convert.FromBase64String("MAUwAwIBAg==")));

        Assert.Contains("refused the request (status 2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RootWithoutAuthoritiesLeavesAKeylessV2BundleUndated()
    {
        var root = SigstoreFixtures.Root();
        var bare = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs);

        var verified = new BundleVerifier(bare).Verify(SigstoreFixtures.Bundle("rekor-v2-dsse"), BundleSigner.AnyCertificate, SigstoreFixtures.Now);

        Assert.Empty(verified.VerifiedTimes);
    }

    [Fact]
    public void TokenFromAnotherCertificateOfTheAuthoritysCaIsRefused()
    {
        using var ca = new TestTsaCa();
        using var listed = ca.Issue("listed", TimeStampingOnly, critical: true);
        using var sibling = ca.Issue("sibling", TimeStampingOnly, critical: true);
        var signature = RandomNumberGenerator.GetBytes(64);

        var honest = SignedTimestamp.Verify(ca.Stamp(listed, signature), signature, [ca.Authority(listed)]);
        var e = Assert.Throws<FormatException>(() => SignedTimestamp.Verify(ca.Stamp(sibling, signature), signature, [ca.Authority(listed)]));

        Assert.Equal(ca.Now, honest);
        Assert.Contains("not by the authority's timestamping certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenFromACaListedAloneVerifiesWithAnyOfItsTimestampingCertificates()
    {
        using var ca = new TestTsaCa();
        using var leaf = ca.Issue("any", TimeStampingOnly, critical: true);
        var signature = RandomNumberGenerator.GetBytes(64);

        Assert.Equal(ca.Now, SignedTimestamp.Verify(ca.Stamp(leaf, signature), signature, [ca.Authority()]));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void TsaCertificateWithoutACriticalTimeStampingUsageAloneIsRefused(bool critical, bool extraUsage)
    {
        using var ca = new TestTsaCa();
        string[] usages = extraUsage ? [SignedTimestamp.TimeStampingOid, "1.3.6.1.5.5.7.3.3"] : TimeStampingOnly;
        using var leaf = ca.Issue("loose", usages, critical);
        var signature = RandomNumberGenerator.GetBytes(64);

        // Not embedded in the token (which .NET's decoder checks too): taken from the trusted root's listing.
        var e = Assert.Throws<FormatException>(() => SignedTimestamp.Verify(ca.Stamp(leaf, signature, embed: false), signature, [ca.Authority(leaf)]));

        // .NET's own signer check already refuses a non-critical usage; an extra usage is refused here.
        Assert.Contains("no trusted timestamp authority issued it", e.Message, StringComparison.Ordinal);
        Assert.Contains(critical ? "extended key usage is not a critical timeStamping alone" : "tsa (https://tsa.example/): ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimestampOverACoSignersSignatureDoesNotDateTheSigner()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var coSigner = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = LogServerClient.Statement("ghcr.io/org/app:v1");
        var pae = Dsse.Pae(Dsse.InTotoPayloadType, payload);
        var ours = new DsseSignature("", signer.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        var theirs = new DsseSignature("", coSigner.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        // The co-signer's signature first: the one a verifier reading the first signature would date.
        var envelope = new DsseEnvelope(Dsse.InTotoPayloadType, payload, [theirs, ours]);
        var response = await server.PostAsync("api/v2/log/entries", DsseRequest(envelope, signer, coSigner));
        var entry = BundleJson.ReadEntry(await server.JsonAsync(response));
        using var ca = new TestTsaCa();
        using var tsa = ca.Issue("tsa", TimeStampingOnly, critical: true);
        var logged = TrustedRoot.Parse(await File.ReadAllBytesAsync(dir.Combine("trusted_root.json"), Ct));
        var root = new TrustedRoot(logged.Logs, logged.CertificateAuthorities, logged.CtLogs, [ca.Authority(tsa)]);
        SigstoreBundle Stamped(DsseSignature dated) =>
            new(VerificationMaterial.ForKey("") with { Rfc3161Timestamps = [ca.Stamp(tsa, dated.Signature)] }, entry, envelope, null);
        var verifier = new BundleVerifier(root);
        var key = BundleSigner.Key(signer.ExportSubjectPublicKeyInfo());

        var dated = verifier.Verify(Stamped(ours), key, DateTimeOffset.UtcNow);
        var e = Assert.Throws<LogVerificationException>(() => verifier.Verify(Stamped(theirs), key, DateTimeOffset.UtcNow));

        Assert.Equal([ca.Now], dated.TimestampTimes);
        Assert.Contains("message imprint is not the hash of this signature", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A Rekor v2 dsseRequestV002 as protobuf JSON, one verifier per key.</summary>
    private static string DsseRequest(DsseEnvelope envelope, params ECDsa[] keys) => new JsonObject
    {
        ["dsseRequestV002"] = new JsonObject
        {
            ["envelope"] = new JsonObject
            {
                ["payload"] = Convert.ToBase64String(envelope.Payload),
                ["payloadType"] = envelope.PayloadType,
                ["signatures"] = new JsonArray([.. envelope.Signatures.Select(s => (JsonNode)new JsonObject { ["sig"] = Convert.ToBase64String(s.Signature), ["keyid"] = s.KeyId })]),
            },
            ["verifiers"] = new JsonArray([.. keys.Select(k => (JsonNode)new JsonObject
            {
                ["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(k.ExportSubjectPublicKeyInfo()) },
                ["keyDetails"] = HashedRekordV002.KeyDetails,
            })]),
        },
    }.ToJsonString();

    private static readonly string[] TimeStampingOnly = [SignedTimestamp.TimeStampingOid];

    private static string Reject(SigstoreBundle bundle, TrustedRoot root) =>
        Assert.Throws<LogVerificationException>(() => new BundleVerifier(root).Verify(bundle, BundleSigner.AnyCertificate, SigstoreFixtures.Now)).Message;
}

/// <summary>A P-256 CA issuing timestamping certificates, each able to stamp through <see cref="TimestampIssuer"/>.</summary>
internal sealed class TestTsaCa : IDisposable
{
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 root;

    public TestTsaCa()
    {
        var request = new CertificateRequest("O=tlogistry tests, CN=tsa ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        root = request.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(30));
    }

    public DateTimeOffset Now { get; } = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    public X509Certificate2 Issue(string name, string[] usages, bool critical)
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"O=tlogistry tests, CN={name}", leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var oids = new OidCollection();
        foreach (var u in usages)
        {
            oids.Add(new Oid(u));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical));
        using var issued = request.Create(root, Now.AddDays(-1), Now.AddDays(10), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(leafKey);
    }

    /// <summary>A token by <paramref name="signer"/> over <paramref name="signature"/>, its certificate embedded unless not asked.</summary>
    public byte[] Stamp(X509Certificate2 signer, byte[] signature, bool embed = true)
    {
        using var signerKey = signer.GetECDsaPrivateKey()!;
        var request = Rfc3161TimestampRequest.CreateFromData(signature, HashAlgorithmName.SHA256, requestSignerCertificates: embed);
        return new TimestampIssuer(signer, signerKey).Answer(request.Encode(), Now);
    }

    /// <summary>The authority as a trusted root lists it: <paramref name="leaf"/> (when given), then the CA.</summary>
    public CertificateAuthority Authority(X509Certificate2? leaf = null) => new(
        "tlogistry tests", "tsa", "https://tsa.example/", leaf is null ? [root.RawData] : [leaf.RawData, root.RawData], Now.AddDays(-1), null);

    public void Dispose()
    {
        root.Dispose();
        key.Dispose();
    }
}
