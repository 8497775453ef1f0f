using System.Security.Cryptography;
using System.Text;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// The two ways a Sigstore log is named by its key. Rekor v1 hashes the DER key alone;
/// tiles logs (Rekor v2) use the signed-note key hash, which also binds the origin, so the
/// same key serving two logs gives two IDs.
/// </summary>
internal static class LogIds
{
    /// <summary>SHA-256 of the log's DER SubjectPublicKeyInfo.</summary>
    public static byte[] ForRekorV1(ReadOnlySpan<byte> subjectPublicKeyInfo) => SHA256.HashData(subjectPublicKeyInfo);

    /// <summary>SHA-256(origin ‖ 0x0A ‖ key type ‖ key): the full hash whose first four bytes are the note key ID.</summary>
    public static byte[] ForNoteKey(string origin, NoteKeyType type, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(origin);
        var name = Encoding.UTF8.GetBytes(origin);
        return SHA256.HashData([.. name, (byte)'\n', (byte)type, .. key]);
    }

    /// <summary>The tiles log ID for an Ed25519 key given as raw 32 bytes.</summary>
    public static byte[] ForEd25519NoteKey(string origin, ReadOnlySpan<byte> rawKey) =>
        ForNoteKey(origin, NoteKeyType.Ed25519, rawKey);
}
