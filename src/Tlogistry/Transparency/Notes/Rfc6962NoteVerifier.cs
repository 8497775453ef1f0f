using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tlogistry.Transparency.Notes;

/// <summary>
/// Verifies signature type 0x05 (c2sp.org/static-ct-api): a CT log's RFC 6962 signed tree head
/// carried as a checkpoint signature. The signature is
/// timestamp(8) || DigitallySigned{sha256, ecdsa, DER} over a TreeHeadSignature that covers only
/// size and root, so the origin is checked against the key name and extension lines are refused.
/// </summary>
internal sealed class Rfc6962NoteVerifier : INoteVerifier
{
    private const byte HashSha256 = 4;
    private const byte SignatureEcdsa = 3;
    private const int HeaderSize = 8 + 1 + 1 + 2;

    private readonly ECParameters publicKey;
    private readonly byte[] subjectPublicKeyInfo;

    public Rfc6962NoteVerifier(string name, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        if (!NoteSyntax.IsValidKeyName(name))
        {
            throw new ArgumentException($"invalid key name '{name}'", nameof(name));
        }

        publicKey = EcdsaP256.ImportPublicKey(subjectPublicKeyInfo);
        Name = name;
        this.subjectPublicKeyInfo = subjectPublicKeyInfo.ToArray();
        KeyId = NoteKeyId.Rfc6962(name, subjectPublicKeyInfo);
    }

    public string Name { get; }

    public uint KeyId { get; }

    public string Vkey => NoteVerifiers.FormatVkey(Name, KeyId, NoteKeyType.Rfc6962TreeHead, subjectPublicKeyInfo);

    public bool Verify(string text, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signature);
        if (signature.Length < HeaderSize
            || signature[8] != HashSha256
            || signature[9] != SignatureEcdsa
            || BinaryPrimitives.ReadUInt16BigEndian(signature.AsSpan(10)) != signature.Length - HeaderSize)
        {
            return false;
        }

        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Parse(text);
        }
        catch (FormatException)
        {
            return false;
        }

        if (checkpoint.Origin != Name || checkpoint.Extensions.Count != 0)
        {
            return false;
        }

        // RFC 6962 section 3.5 TreeHeadSignature: version v1(0), signature_type tree_hash(1),
        // timestamp, tree_size, sha256_root_hash.
        var treeHead = new byte[2 + 8 + 8 + Checkpoint.RootHashSize];
        treeHead[0] = 0;
        treeHead[1] = 1;
        signature.AsSpan(0, 8).CopyTo(treeHead.AsSpan(2));
        BinaryPrimitives.WriteInt64BigEndian(treeHead.AsSpan(10), checkpoint.Size);
        checkpoint.RootHash.CopyTo(treeHead, 18);
        return EcdsaP256.VerifyDer(publicKey, treeHead, signature[HeaderSize..]);
    }
}
