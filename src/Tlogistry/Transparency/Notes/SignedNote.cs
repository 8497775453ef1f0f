using System.Buffers.Binary;
using System.Text;

namespace Tlogistry.Transparency.Notes;

/// <summary>
/// A c2sp.org/signed-note split into its text and signature lines, with no cryptographic checks.
/// Use <see cref="NoteOpener"/> to decide whether the text may be trusted.
/// </summary>
internal sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses a note received as bytes; invalid UTF-8 is malformed rather than silently replaced.</summary>
    public static SignedNote Parse(ReadOnlySpan<byte> utf8)
    {
        string note;
        try
        {
            note = StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException("note is not valid UTF-8", e);
        }

        return Parse(note);
    }

    /// <summary>Parses a whole signed note. Throws <see cref="FormatException"/> if it is malformed.</summary>
    public static SignedNote Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (NoteSyntax.FindTextError(note) is { } error)
        {
            throw new FormatException($"note contains {error}");
        }

        // The text may itself contain blank lines, so only the last one separates it from the signatures.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new FormatException("note has no blank line before its signatures");
        }

        var text = note[..(split + 1)];
        var block = note[(split + 2)..];
        if (block.Length == 0 || !block.EndsWith('\n'))
        {
            throw new FormatException("note signature block is empty or lacks its final newline");
        }

        var lines = block[..^1].Split('\n');
        if (lines.Length > NoteSyntax.MaxSignatures)
        {
            throw new FormatException($"note has {lines.Length} signatures; at most {NoteSyntax.MaxSignatures} are accepted");
        }

        return new SignedNote(text, Array.ConvertAll(lines, ParseSignatureLine));
    }

    /// <summary>Renders the note as text, blank line and signature lines.</summary>
    public string Format()
    {
        if (NoteSyntax.FindTextError(Text) is { } error)
        {
            throw new InvalidOperationException($"note text contains {error}");
        }

        if (!Text.EndsWith('\n'))
        {
            throw new InvalidOperationException("note text must end with a newline");
        }

        if (Signatures.Count == 0)
        {
            throw new InvalidOperationException("a signed note needs at least one signature");
        }

        var note = new StringBuilder(Text).Append('\n');
        foreach (var signature in Signatures)
        {
            if (!NoteSyntax.IsValidKeyName(signature.Name))
            {
                throw new InvalidOperationException($"invalid key name '{signature.Name}'");
            }

            var payload = new byte[4 + signature.Signature.Length];
            BinaryPrimitives.WriteUInt32BigEndian(payload, signature.KeyId);
            signature.Signature.CopyTo(payload, 4);
            note.Append(NoteSyntax.SignaturePrefix).Append(signature.Name).Append(' ')
                .Append(Convert.ToBase64String(payload)).Append('\n');
        }

        return note.ToString();
    }

    private static NoteSignature ParseSignatureLine(string line)
    {
        if (!line.StartsWith(NoteSyntax.SignaturePrefix, StringComparison.Ordinal))
        {
            throw new FormatException("note signature line does not start with an em dash and a space");
        }

        var rest = line[NoteSyntax.SignaturePrefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            throw new FormatException("note signature line has no signature after the key name");
        }

        var name = rest[..space];
        if (!NoteSyntax.IsValidKeyName(name))
        {
            throw new FormatException($"note signature line has an invalid key name '{name}'");
        }

        // A key ID and at least one byte of signature.
        if (!NoteSyntax.TryDecodeBase64(rest[(space + 1)..], out var payload) || payload.Length < 5)
        {
            throw new FormatException($"note signature for '{name}' is not base64 of a key ID and a signature");
        }

        return new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(payload), payload[4..]);
    }
}
