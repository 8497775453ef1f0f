using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// The tags of the growth benchmark and the one manifest each serves, computed from the
/// tag alone: the upstream keeps nothing, and the seeder, the upstream and the checks agree
/// byte for byte. Sighting <c>i</c> is tag <c>s{i}</c> of repository <c>library/g{i % R}</c>.
/// </summary>
internal static class GrowthTags
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private const string ConfigType = "application/vnd.oci.image.config.v1+json";
    private const string LayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>Repositories the seeded tags are spread over; the listing is timed on the first.</summary>
    public const int Repositories = 100;

    public static string Repository(long i) => "library/g" + (i % Repositories).ToString(CultureInfo.InvariantCulture);

    /// <summary>Seeded tag <paramref name="i"/> (0-based) as (repository, tag).</summary>
    public static (string Repository, string Tag) Seeded(long i) => (Repository(i), "s" + i.ToString(CultureInfo.InvariantCulture));

    /// <summary>A tag never seeded: <paramref name="kind"/> names the measurement, <paramref name="round"/> the size it ran at.</summary>
    public static (string Repository, string Tag) Fresh(string kind, long round, long i) =>
        (Repository(i), string.Create(CultureInfo.InvariantCulture, $"{kind}{round}-{i}"));

    /// <summary>
    /// An OCI image manifest naming a config and a layer whose digests and sizes derive from
    /// the repository and tag, so every tag has its own manifest digest.
    /// </summary>
    public static byte[] Manifest(string repository, string tag)
    {
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes(repository + ":" + tag));
        var config = Convert.ToHexStringLower(SHA256.HashData([.. seed, 1]));
        var layer = Convert.ToHexStringLower(SHA256.HashData([.. seed, 2]));
        var configSize = 1024 + (seed[0] << 2);
        var layerSize = 1_000_000 + (BitConverter.ToInt32(seed, 1) & 0x3FFFFFF);
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$$"""{"schemaVersion":2,"mediaType":"{{{ManifestType}}}","config":{"mediaType":"{{{ConfigType}}}","digest":"sha256:{{{config}}}","size":{{{configSize}}}},"layers":[{"mediaType":"{{{LayerType}}}","digest":"sha256:{{{layer}}}","size":{{{layerSize}}}}],"annotations":{"org.opencontainers.image.ref.name":"{{{tag}}}"}}"""));
    }

    public static string Digest(byte[] manifest) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest));
}
