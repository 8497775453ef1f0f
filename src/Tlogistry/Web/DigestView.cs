using Tlogistry.Oci;

namespace Tlogistry.Web;

/// <summary>
/// A digest as the pages show it: its first hex digits, which open (a <c>details</c> element,
/// since the pages run no script) on the whole value, one click selecting all of it to copy.
/// A full digest in a table cell is 71 characters that do not break: shortened, a row stays one line.
/// </summary>
internal static class DigestView
{
    /// <summary>Hex digits shown before the ellipsis: enough to tell digests apart at a glance.</summary>
    public const int ShownHex = 12;

    public static string Short(Digest digest) =>
        digest.Hex.Length <= ShownHex ? digest.ToString() : $"{digest.Algorithm}:{digest.Hex[..ShownHex]}…";

    /// <summary>The short form, opening on the full one, which carries <paramref name="fullClass"/>.</summary>
    public static string Html(Digest digest, string fullClass = "digest")
    {
        var full = PageShell.Encode(digest.ToString());
        return $"<details class=\"ref\"><summary title=\"{full}\"><code class=\"short\">{PageShell.Encode(Short(digest))}</code></summary><code class=\"{fullClass} full\">{full}</code></details>";
    }
}
