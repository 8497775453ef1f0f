using System.Text;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Tlogistry.Transparency.Notes;

/// <summary>Verifies signature type 0x01: plain Ed25519 (RFC 8032) over the UTF-8 note text.</summary>
internal sealed class Ed25519NoteVerifier : INoteVerifier
{
    private readonly byte[] publicKey;

    public Ed25519NoteVerifier(string name, ReadOnlySpan<byte> publicKey)
        : this(name, publicKey, null)
    {
    }

    private Ed25519NoteVerifier(string name, ReadOnlySpan<byte> publicKey, uint? keyId)
    {
        if (!NoteSyntax.IsValidKeyName(name))
        {
            throw new ArgumentException($"invalid key name '{name}'", nameof(name));
        }

        if (publicKey.Length != Ed25519.PublicKeySize)
        {
            throw new ArgumentException($"Ed25519 public key must be {Ed25519.PublicKeySize} bytes", nameof(publicKey));
        }

        Name = name;
        this.publicKey = publicKey.ToArray();
        KeyId = keyId ?? NoteKeyId.Ed25519(name, this.publicKey);
    }

    /// <summary>
    /// The key as Rekor v1 names it in checkpoints: by the first four bytes of SHA-256 of its
    /// DER SubjectPublicKeyInfo (its log ID), whatever the signer's name.
    /// </summary>
    public static Ed25519NoteVerifier ForRekorV1(string name, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        new(name, publicKey, NoteKeyId.Ecdsa(subjectPublicKeyInfo));

    public string Name { get; }

    public uint KeyId { get; }

    /// <summary>The key in the <c>name+keyid+base64(0x01||key)</c> form that <see cref="NoteVerifiers.FromVkey"/> reads.</summary>
    public string Vkey => NoteVerifiers.FormatVkey(Name, KeyId, NoteKeyType.Ed25519, publicKey);

    public bool Verify(string text, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signature);
        if (signature.Length != Ed25519.SignatureSize)
        {
            return false;
        }

        var message = Encoding.UTF8.GetBytes(text);
        return Ed25519.Verify(signature, 0, publicKey, 0, message, 0, message.Length);
    }
}
