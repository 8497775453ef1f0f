using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

/// <summary>The identity strings: made from a key or a SAN and issuer, and split back.</summary>
public sealed class SignerIdentityTests
{
    [Theory]
    [InlineData("alice@example.com", "https://accounts.example.com")]
    [InlineData("https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main", "https://token.actions.githubusercontent.com")]
    [InlineData("https://example.com/path;issuer=odd", "https://issuer.example")]
    public void A_keyless_identity_splits_back_into_its_san_and_issuer(string san, string issuer)
    {
        var identity = SignerIdentity.ForCertificate(CertificateIdentity.Parse(san), issuer);
        Assert.False(SignerIdentity.IsKey(identity));
        Assert.True(SignerIdentity.TrySplitCertificate(identity, out var gotSan, out var gotIssuer));
        Assert.Equal((san, issuer), (gotSan, gotIssuer));
    }

    [Theory]
    [InlineData("key:sha256:ab")]
    [InlineData("email:alice@example.com")]
    [InlineData(";issuer=x")]
    [InlineData("")]
    public void Anything_else_does_not_split(string identity) =>
        Assert.False(SignerIdentity.TrySplitCertificate(identity, out _, out _));

    [Fact]
    public void A_key_identity_is_recognised_as_one()
    {
        Assert.True(SignerIdentity.IsKey(SignerIdentity.ForKey([1, 2, 3])));
        Assert.False(SignerIdentity.IsKey("email:alice@example.com;issuer=https://i"));
    }
}
