using System.Globalization;
using System.Text;

namespace Tlogistry.Transparency.Notes;

/// <summary>
/// The body of a c2sp.org/tlog-checkpoint note: origin, tree size, RFC 6962 root hash and
/// optional extension lines. Parsing is strict so that two parties that accept the same
/// checkpoint also agree on what it says.
/// </summary>
internal sealed record Checkpoint(string Origin, long Size, byte[] RootHash, IReadOnlyList<string> Extensions)
{
    /// <summary>Root hashes are SHA-256 RFC 6962 tree hashes.</summary>
    public const int RootHashSize = 32;

    /// <summary>Renders the note text; throws if the fields could not round-trip through <see cref="Parse"/>.</summary>
    public string Format()
    {
        if (Origin.Length == 0 || Origin.Contains('\n', StringComparison.Ordinal))
        {
            throw new InvalidOperationException("checkpoint origin must be a single non-empty line");
        }

        if (Size < 0)
        {
            throw new InvalidOperationException("checkpoint size must not be negative");
        }

        if (RootHash.Length != RootHashSize)
        {
            throw new InvalidOperationException($"checkpoint root hash must be {RootHashSize} bytes, not {RootHash.Length}");
        }

        var body = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        foreach (var line in Extensions)
        {
            if (line.Length == 0 || line.Contains('\n', StringComparison.Ordinal))
            {
                throw new InvalidOperationException("checkpoint extension lines must be single non-empty lines");
            }

            body.Append(line).Append('\n');
        }

        var text = body.ToString();
        if (NoteSyntax.FindTextError(text) is { } error)
        {
            throw new InvalidOperationException($"checkpoint is not valid note text: {error}");
        }

        return text;
    }

    /// <summary>Parses a checkpoint body (a note's text). Throws <see cref="FormatException"/> on any deviation.</summary>
    public static Checkpoint Parse(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (NoteSyntax.FindTextError(body) is { } error)
        {
            throw new FormatException($"checkpoint is not valid note text: {error}");
        }

        if (!body.EndsWith('\n'))
        {
            throw new FormatException("checkpoint must end with a newline");
        }

        var lines = body[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new FormatException("checkpoint needs origin, tree size and root hash lines");
        }

        if (lines[0].Length == 0)
        {
            throw new FormatException("checkpoint origin line is empty");
        }

        var extensions = lines[3..];
        if (Array.IndexOf(extensions, string.Empty) >= 0)
        {
            throw new FormatException("checkpoint extension lines must not be empty");
        }

        return new Checkpoint(lines[0], ParseSize(lines[1]), ParseRootHash(lines[2]), extensions);
    }

    public bool Equals(Checkpoint? other) =>
        other is not null
        && Origin == other.Origin
        && Size == other.Size
        && RootHash.AsSpan().SequenceEqual(other.RootHash)
        && Extensions.SequenceEqual(other.Extensions);

    public override int GetHashCode() => HashCode.Combine(Origin, Size, Convert.ToHexString(RootHash));

    private static long ParseSize(string line)
    {
        // ASCII digits only, and no leading zero, so each size has exactly one spelling.
        if (line.Length == 0 || !line.All(char.IsAsciiDigit) || (line.Length > 1 && line[0] == '0'))
        {
            throw new FormatException($"checkpoint tree size '{line}' is not a canonical decimal number");
        }

        if (!long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new FormatException($"checkpoint tree size '{line}' is too large");
        }

        return size;
    }

    private static byte[] ParseRootHash(string line)
    {
        if (!NoteSyntax.TryDecodeBase64(line, out var hash))
        {
            throw new FormatException("checkpoint root hash is not valid base64");
        }

        if (hash.Length != RootHashSize)
        {
            throw new FormatException($"checkpoint root hash is {hash.Length} bytes; expected {RootHashSize}");
        }

        // Reject unused trailing bits too: a second spelling of the same root would be a different signed text.
        if (Convert.ToBase64String(hash) != line)
        {
            throw new FormatException("checkpoint root hash is not canonical base64");
        }

        return hash;
    }
}
