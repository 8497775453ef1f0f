using System.Runtime.CompilerServices;
using System.Text;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// A bundle export: one bundle JSON per line (what <c>/tlog/bundles</c> serves). A file holding
/// a single pretty-printed bundle is accepted too, as one bundle.
/// </summary>
internal static class BundleLines
{
    /// <summary>Longest line accepted: a bundle is a few KiB; this bounds a hostile export.</summary>
    public const int MaxLine = 1024 * 1024;

    public static async IAsyncEnumerable<SigstoreBundle> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var first = true;
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            number++;
            if (line.Length > MaxLine)
            {
                throw new FormatException($"line {number} of the bundle export is longer than {MaxLine} bytes");
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (first && line.TrimEnd() == "{")
            {
                // A single bundle written over several lines.
                var rest = await reader.ReadToEndAsync(cancellationToken);
                yield return BundleJson.Read(Encoding.UTF8.GetBytes(line + "\n" + rest));
                yield break;
            }

            first = false;
            SigstoreBundle bundle;
            try
            {
                bundle = BundleJson.Read(Encoding.UTF8.GetBytes(line));
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {number} of the bundle export: {e.Message}", e);
            }

            yield return bundle;
        }
    }
}
