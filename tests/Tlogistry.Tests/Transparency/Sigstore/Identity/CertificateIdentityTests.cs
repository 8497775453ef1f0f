using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

/// <summary>A configured identity is typed by its own syntax: a URI scheme makes a URI, whatever else it holds.</summary>
public sealed class CertificateIdentityTests
{
    [Theory]
    [InlineData("https://github.com/org/app/.github/workflows/release.yml@refs/heads/main", "uri")]
    [InlineData("https://gitlab.com/org/app//.gitlab-ci.yml@refs/heads/main", "uri")]
    [InlineData("https://kubernetes.io/namespaces/registry/serviceaccounts/tlogistry", "uri")]
    [InlineData("spiffe://example.org/ns/registry/sa/tlogistry", "uri")]
    [InlineData("tlogistry@project.iam.gserviceaccount.com", "email")]
    [InlineData("alice@example.com", "email")]
    public void IdentitiesAreTypedAsFulcioTypesThem(string configured, string kind)
    {
        var identity = CertificateIdentity.Parse(configured);
        Assert.Equal(new CertificateIdentity(kind == "email" ? SanKind.Email : SanKind.Uri, configured), identity);
        Assert.Equal(kind + ":" + configured, identity.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("@example.com")]
    [InlineData("alice@")]
    [InlineData("a lice@example.com")]
    public void NeitherAnEmailNorAUriIsRefused(string configured) =>
        Assert.Throws<FormatException>(() => CertificateIdentity.Parse(configured));
}
