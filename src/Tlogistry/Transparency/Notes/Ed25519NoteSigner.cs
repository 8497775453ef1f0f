using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Tlogistry.Transparency.Notes;

/// <summary>
/// Signs with type 0x01 Ed25519 from a 32-byte seed. The key strings match the vkey/skey
/// formats of golang.org/x/mod/sumdb/note so keys can move between tools.
/// </summary>
internal sealed class Ed25519NoteSigner : INoteSigner
{
    private const string SkeyPrefix = "PRIVATE+KEY+";

    private readonly byte[] seed;
    private readonly byte[] publicKey = new byte[Ed25519.PublicKeySize];

    public Ed25519NoteSigner(string name, ReadOnlySpan<byte> seed)
    {
        if (!NoteSyntax.IsValidKeyName(name))
        {
            throw new ArgumentException($"invalid key name '{name}'", nameof(name));
        }

        if (seed.Length != Ed25519.SecretKeySize)
        {
            throw new ArgumentException($"Ed25519 seed must be {Ed25519.SecretKeySize} bytes", nameof(seed));
        }

        Name = name;
        this.seed = seed.ToArray();
        Ed25519.GeneratePublicKey(this.seed, 0, publicKey, 0);
        KeyId = NoteKeyId.Ed25519(name, publicKey);
    }

    public string Name { get; }

    public uint KeyId { get; }

    /// <summary>The raw 32-byte public key.</summary>
    public ReadOnlySpan<byte> PublicKey => publicKey;

    /// <summary>Public key string: <c>name+hexkeyid+base64(0x01||publickey)</c>.</summary>
    public string Vkey => NoteVerifiers.FormatVkey(Name, KeyId, NoteKeyType.Ed25519, publicKey);

    /// <summary>Secret key string: <c>PRIVATE+KEY+name+hexkeyid+base64(0x01||seed)</c>. Treat as a secret.</summary>
    public string Skey =>
        SkeyPrefix + NoteVerifiers.FormatVkey(Name, KeyId, NoteKeyType.Ed25519, seed);

    public Ed25519NoteVerifier Verifier => new(Name, publicKey);

    public static Ed25519NoteSigner Generate(string name) => new(name, RandomNumberGenerator.GetBytes(Ed25519.SecretKeySize));

    /// <summary>Reads an skey string, checking that its key ID matches the key it holds.</summary>
    public static Ed25519NoteSigner FromSkey(string skey)
    {
        ArgumentNullException.ThrowIfNull(skey);
        if (!skey.StartsWith(SkeyPrefix, StringComparison.Ordinal))
        {
            throw new FormatException("signer key does not start with PRIVATE+KEY+");
        }

        var (name, keyId, key) = NoteVerifiers.SplitKeyString(skey[SkeyPrefix.Length..]);
        if (key[0] != (byte)NoteKeyType.Ed25519 || key.Length != 1 + Ed25519.SecretKeySize)
        {
            throw new FormatException("signer key is not a 32-byte Ed25519 seed");
        }

        var signer = new Ed25519NoteSigner(name, key.AsSpan(1));
        if (signer.KeyId != keyId)
        {
            throw new FormatException($"signer key ID {NoteKeyId.ToHex(keyId)} does not match its key ({NoteKeyId.ToHex(signer.KeyId)})");
        }

        return signer;
    }

    public byte[] Sign(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var message = Encoding.UTF8.GetBytes(text);
        var signature = new byte[Ed25519.SignatureSize];
        // With the public key given, signing skips deriving it again (about 4x faster).
        Ed25519.Sign(seed, 0, publicKey, 0, message, 0, message.Length, signature, 0);
        return signature;
    }
}
