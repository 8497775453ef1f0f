using System.Security.Cryptography;

namespace Tlogistry.LogServer;

/// <summary>
/// Who may append to <c>tlogistry log serve</c>: with no keys configured, anyone whose entry
/// is well-formed and verifies (an open log, as the public Rekor is); with <c>--writer-key</c>,
/// only entries every signature of which verifies with one of those keys. A certificate
/// verifier counts by its public key, so a keyless signer is allowed by its certificate's key
/// only, not by identity.
/// </summary>
internal sealed class WriterPolicy
{
    private readonly HashSet<string> _allowed;

    private WriterPolicy(HashSet<string> allowed)
    {
        _allowed = allowed;
    }

    public static WriterPolicy Open { get; } = new([]);

    public bool IsOpen => _allowed.Count == 0;

    /// <summary>Reads PEM public keys (or certificates) from files.</summary>
    /// <exception cref="FormatException">A file holds no usable key.</exception>
    public static WriterPolicy FromPemFiles(IEnumerable<string> paths)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            try
            {
                allowed.Add(Fingerprint(SignerKey.FromPem(File.ReadAllBytes(path)).Spki));
            }
            catch (BadEntryException e)
            {
                throw new FormatException($"--writer-key {path}: {e.Message}", e);
            }
        }

        return new(allowed);
    }

    /// <summary>Null when the entry may be appended, else why not.</summary>
    public string? Refusal(CanonicalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (IsOpen)
        {
            return null;
        }

        return entry.Signers.Count > 0 && entry.Signers.All(k => _allowed.Contains(Fingerprint(k.Spki)))
            ? null
            : "the entry is not signed by a key this log accepts writes from";
    }

    private static string Fingerprint(byte[] spki) => Convert.ToHexStringLower(SHA256.HashData(spki));
}
