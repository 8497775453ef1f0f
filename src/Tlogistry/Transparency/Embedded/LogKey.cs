using Tlogistry.Files;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// The embedded log's Ed25519 checkpoint key, kept in signed-note skey form (mode 0600).
/// A new log gets an origin that names its key, so two logs never share an origin.
/// </summary>
internal static class LogKey
{
    public static Ed25519NoteSigner LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            try
            {
                return Ed25519NoteSigner.FromSkey(File.ReadAllText(path).Trim());
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"log key {path} is not a signed-note private key: {e.Message}", e);
            }
        }

        var seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var probe = new Ed25519NoteSigner("tlogistry", seed);
        var origin = "tlogistry.local/" + probe.Vkey.Split('+')[1];
        var signer = new Ed25519NoteSigner(origin, seed);
        SecretFile.WriteNew(path, signer.Skey + "\n");
        return signer;
    }

    /// <summary>
    /// The log as a Sigstore trusted root lists a tiles log: Ed25519 SPKI key, and the
    /// signed-note key hash SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ key) as its log ID.
    /// </summary>
    public static TrustedLog Describe(Ed25519NoteSigner key, string baseUrl)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(key.Name);
        byte[] hashed = [.. name, (byte)'\n', (byte)NoteKeyType.Ed25519, .. key.PublicKey];
        byte[] spki = [.. Ed25519SpkiPrefix, .. key.PublicKey];
        return new TrustedLog(baseUrl, System.Security.Cryptography.SHA256.HashData(hashed), spki, "PKIX_ED25519", DateTimeOffset.UnixEpoch, null);
    }

    // DER SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }.
    private static ReadOnlySpan<byte> Ed25519SpkiPrefix => [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
}
