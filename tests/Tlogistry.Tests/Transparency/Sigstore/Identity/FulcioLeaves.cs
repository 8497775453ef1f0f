using Tlogistry.Tests.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

/// <summary>
/// The real bundles with a Fulcio leaf, and what <c>openssl x509 -inform DER -text</c> shows
/// in each leaf: the SAN, the issuer extensions (1.1 and 1.8 agree), and the validity.
/// </summary>
internal sealed record FulcioLeaf(string Name, string? Email, string? Uri, string Issuer, string NotBefore, string NotAfter, string SignedAt)
{
    public const string Beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    public const string GitHubActions = "https://token.actions.githubusercontent.com";
    public const string GitHubOAuth = "https://github.com/login/oauth";

    /// <summary>v1: the entry's integrated time; v2 (integratedTime 0): the bundle's RFC 3161 time from the fixtures README.</summary>
    public static readonly IReadOnlyList<FulcioLeaf> All =
    [
        new("rekor-v1-dsse", null, Beacon, GitHubActions, "2024-12-16T18:42:56Z", "2024-12-16T18:52:56Z", "2024-12-16T18:42:56Z"),
        new("rekor-v1-hashedrekord", null, Beacon, GitHubActions, "2024-03-19T17:26:26Z", "2024-03-19T17:36:26Z", "2024-03-19T17:26:26Z"),
        new("rekor-v1-intoto-v002", "brian@dehamer.com", null, GitHubOAuth, "2023-07-12T15:34:37Z", "2023-07-12T15:44:37Z", "2023-07-12T15:34:38Z"),
        new("rekor-v2-dsse", "brian@dehamer.com", null, GitHubOAuth, "2025-12-11T19:36:08Z", "2025-12-11T19:46:08Z", "2025-12-11T19:36:08Z"),
        new("rekor-v2-hashedrekord", "brian@dehamer.com", null, GitHubOAuth, "2025-12-14T02:04:39Z", "2025-12-14T02:14:39Z", "2025-12-14T02:04:50Z"),
    ];

    public static TheoryData<string> Names => [.. All.Select(l => l.Name)];

    public static FulcioLeaf Get(string name) => All.Single(l => l.Name == name);

    public string San => Email ?? Uri!;

    public bool IsV2 => Name.StartsWith("rekor-v2", StringComparison.Ordinal);

    public SigstoreBundle Bundle() => SigstoreFixtures.Bundle(Name);

    public byte[] LeafDer() => Bundle().Material.Certificates[0];

    public static DateTimeOffset Time(string rfc3339) =>
        DateTimeOffset.Parse(rfc3339, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
}
