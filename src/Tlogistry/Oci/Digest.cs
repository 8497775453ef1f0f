using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Tlogistry.Oci;

/// <summary>
/// A content digest, <c>algorithm:encoded</c>, as defined by the OCI image specification.
/// Only <c>sha256</c> and <c>sha512</c> are accepted by <see cref="TryParse"/>; their encoded
/// part must be lowercase hex of the exact length. Construct values through
/// <see cref="TryParse"/> or <see cref="Sha256"/> so that they are known to be valid.
/// </summary>
internal readonly partial record struct Digest(string Algorithm, string Hex)
{
    public const string Sha256Algorithm = "sha256";
    public const string Sha512Algorithm = "sha512";

    // Longer input cannot be a supported digest (sha512 needs 135 characters); shorter input
    // gets the grammar check, so that well-formed digests of other algorithms get a precise message.
    private const int MaxInspectedLength = 1024;

    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest, [NotNullWhen(false)] out OciError? error)
    {
        digest = default;
        if (string.IsNullOrEmpty(value))
        {
            error = Invalid("invalid digest: the digest is empty; expected sha256:<64 lowercase hex characters>");
            return false;
        }

        if (value.Length > MaxInspectedLength)
        {
            error = Invalid($"invalid digest: {value.Length} characters is far longer than any supported digest");
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            error = Invalid($"invalid digest {Display.Quote(value)}: expected <algorithm>:<encoded>, e.g. sha256:<64 lowercase hex characters>");
            return false;
        }

        var algorithm = value[..colon];
        var encoded = value[(colon + 1)..];
        if (!AlgorithmPattern().IsMatch(algorithm) || !EncodedPattern().IsMatch(encoded))
        {
            error = Invalid($"invalid digest {Display.Quote(value)}: expected <algorithm>:<encoded>, e.g. sha256:<64 lowercase hex characters>");
            return false;
        }

        var hexLength = algorithm switch
        {
            Sha256Algorithm => 64,
            Sha512Algorithm => 128,
            _ => 0,
        };
        if (hexLength == 0)
        {
            error = Invalid($"unsupported digest algorithm {Display.Quote(algorithm)}: only sha256 and sha512 are supported");
            return false;
        }

        if (encoded.Length != hexLength || !IsLowerHex(encoded))
        {
            error = Invalid($"invalid digest {Display.Quote(value)}: a {algorithm} digest is exactly {hexLength} lowercase hex characters");
            return false;
        }

        digest = new Digest(algorithm, encoded);
        error = null;
        return true;
    }

    /// <summary>Reads a digest that must be valid (stored or signed text); throws <see cref="FormatException"/> otherwise.</summary>
    public static Digest Parse(string? value) =>
        TryParse(value, out var digest, out var error) ? digest : throw new FormatException(error.Message);

    /// <summary>The sha256 digest of <paramref name="content"/>.</summary>
    public static Digest Sha256(ReadOnlySpan<byte> content) =>
        new(Sha256Algorithm, Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>True when <paramref name="content"/> hashes to this digest.</summary>
    public bool Matches(ReadOnlySpan<byte> content) => Algorithm switch
    {
        Sha256Algorithm => string.Equals(Hex, Convert.ToHexStringLower(SHA256.HashData(content)), StringComparison.Ordinal),
        Sha512Algorithm => string.Equals(Hex, Convert.ToHexStringLower(SHA512.HashData(content)), StringComparison.Ordinal),
        _ => false,
    };

    public override string ToString() => $"{Algorithm}:{Hex}";

    private static OciError Invalid(string message) => new(OciErrorCodes.DigestInvalid, message);

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"^[a-z0-9]+(?:[+._-][a-z0-9]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex AlgorithmPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9=_-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex EncodedPattern();
}
