using System.Globalization;

namespace Tlogistry.Transparency.Notes;

/// <summary>Reads and writes verifier key strings: <c>name+hexkeyid+base64(type||key)</c>.</summary>
internal static class NoteVerifiers
{
    /// <summary>
    /// Builds a verifier from a vkey, accepting types 0x01 (Ed25519), 0x02 (ECDSA P-256) and
    /// 0x05 (RFC 6962). The key ID in the string must match the one derived from the key, so a
    /// typo cannot yield a verifier that silently never matches.
    /// </summary>
    public static INoteVerifier FromVkey(string vkey)
    {
        ArgumentNullException.ThrowIfNull(vkey);
        var (name, keyId, key) = SplitKeyString(vkey);
        INoteVerifier verifier;
        try
        {
            verifier = (NoteKeyType)key[0] switch
            {
                NoteKeyType.Ed25519 => new Ed25519NoteVerifier(name, key.AsSpan(1)),
                NoteKeyType.Ecdsa => new EcdsaNoteVerifier(name, key.AsSpan(1)),
                NoteKeyType.Rfc6962TreeHead => new Rfc6962NoteVerifier(name, key.AsSpan(1)),
                _ => throw new FormatException($"verifier key has unsupported signature type 0x{key[0]:x2}"),
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"verifier key is invalid: {e.Message}", e);
        }

        if (verifier.KeyId != keyId)
        {
            throw new FormatException($"verifier key ID {NoteKeyId.ToHex(keyId)} does not match its key ({NoteKeyId.ToHex(verifier.KeyId)})");
        }

        return verifier;
    }

    public static string FormatVkey(string name, uint keyId, NoteKeyType type, ReadOnlySpan<byte> key)
    {
        var typed = new byte[1 + key.Length];
        typed[0] = (byte)type;
        key.CopyTo(typed.AsSpan(1));
        return $"{name}+{NoteKeyId.ToHex(keyId)}+{Convert.ToBase64String(typed)}";
    }

    /// <summary>
    /// Splits <c>name+hexkeyid+base64</c>. Names cannot contain '+', so the first two '+' are the
    /// separators and any later ones belong to the base64. The returned key is never empty.
    /// </summary>
    internal static (string Name, uint KeyId, byte[] Key) SplitKeyString(string keyString)
    {
        var parts = keyString.Split('+', 3);
        if (parts.Length != 3)
        {
            throw new FormatException("key string is not name+keyid+key");
        }

        if (!NoteSyntax.IsValidKeyName(parts[0]))
        {
            throw new FormatException($"key string has an invalid name '{parts[0]}'");
        }

        if (parts[1].Length != 8 || !parts[1].All(char.IsAsciiHexDigit)
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var keyId))
        {
            throw new FormatException($"key string has a key ID '{parts[1]}' that is not 8 hex digits");
        }

        if (!NoteSyntax.TryDecodeBase64(parts[2], out var key))
        {
            throw new FormatException("key string has invalid base64 key material");
        }

        return (parts[0], keyId, key);
    }
}
