using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

/// <summary>The identity strings: made from a key or a SAN and issuer, and split back.</summary>
public sealed class SignerIdentityTests
{
    [Theory]
    [InlineData("alice@example.com", "https://accounts.example.com")]
    [InlineData("https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main", "https://token.actions.githubusercontent.com")]
    [InlineData("https://example.com/path;issuer=odd", "https://issuer.example")]
    public void AKeylessIdentitySplitsBackIntoItsSanAndIssuer(string san, string issuer)
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
    public void AnythingElseDoesNotSplit(string identity) =>
        Assert.False(SignerIdentity.TrySplitCertificate(identity, out _, out _));

    [Fact]
    public void AKeyIdentityIsRecognisedAsOne()
    {
        Assert.True(SignerIdentity.IsKey(SignerIdentity.ForKey([1, 2, 3])));
        Assert.False(SignerIdentity.IsKey("email:alice@example.com;issuer=https://i"));
    }
}
