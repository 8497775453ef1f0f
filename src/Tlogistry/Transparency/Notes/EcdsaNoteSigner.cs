using System.Security.Cryptography;
using System.Text;

namespace Tlogistry.Transparency.Notes;

/// <summary>
/// Signs with type 0x02 (DER ECDSA P-256 over SHA-256 of the text). The caller keeps
/// ownership of <see cref="ECDsa"/> and must keep it alive while this signer is used.
/// </summary>
internal sealed class EcdsaNoteSigner : INoteSigner
{
    private readonly ECDsa privateKey;
    private readonly byte[] subjectPublicKeyInfo;

    public EcdsaNoteSigner(string name, ECDsa privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (!NoteSyntax.IsValidKeyName(name))
        {
            throw new ArgumentException($"invalid key name '{name}'", nameof(name));
        }

        EcdsaP256.RequireP256(privateKey);
        Name = name;
        this.privateKey = privateKey;
        subjectPublicKeyInfo = privateKey.ExportSubjectPublicKeyInfo();
        KeyId = NoteKeyId.Ecdsa(subjectPublicKeyInfo);
    }

    public string Name { get; }

    public uint KeyId { get; }

    public string Vkey => NoteVerifiers.FormatVkey(Name, KeyId, NoteKeyType.Ecdsa, subjectPublicKeyInfo);

    public EcdsaNoteVerifier Verifier => new(Name, subjectPublicKeyInfo);

    public byte[] Sign(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return privateKey.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }
}
