using System.Security.Cryptography;
using System.Text;

namespace Tlogistry.Transparency.Notes;

/// <summary>
/// Verifies signature type 0x02: DER ECDSA P-256 over SHA-256 of the note text, as signed by
/// Rekor v1 and transparency-dev witnesses. The key ID is SHA-256(DER SPKI)[:4], so the name
/// is not bound into it.
/// </summary>
internal sealed class EcdsaNoteVerifier : INoteVerifier
{
    private readonly ECParameters publicKey;
    private readonly byte[] subjectPublicKeyInfo;

    public EcdsaNoteVerifier(string name, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        if (!NoteSyntax.IsValidKeyName(name))
        {
            throw new ArgumentException($"invalid key name '{name}'", nameof(name));
        }

        publicKey = EcdsaP256.ImportPublicKey(subjectPublicKeyInfo);
        Name = name;
        this.subjectPublicKeyInfo = subjectPublicKeyInfo.ToArray();
        KeyId = NoteKeyId.Ecdsa(subjectPublicKeyInfo);
    }

    public EcdsaNoteVerifier(string name, ECDsa publicKey)
        : this(name, (publicKey ?? throw new ArgumentNullException(nameof(publicKey))).ExportSubjectPublicKeyInfo())
    {
    }

    public string Name { get; }

    public uint KeyId { get; }

    public string Vkey => NoteVerifiers.FormatVkey(Name, KeyId, NoteKeyType.Ecdsa, subjectPublicKeyInfo);

    public bool Verify(string text, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signature);
        return EcdsaP256.VerifyDer(publicKey, Encoding.UTF8.GetBytes(text), signature);
    }
}
