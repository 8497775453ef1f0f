namespace Tlogistry.Transparency.Notes;

/// <summary>Signature type identifier bytes assigned by c2sp.org/signed-note that this code understands.</summary>
internal enum NoteKeyType : byte
{
    /// <summary>Ed25519 over the note text.</summary>
    Ed25519 = 0x01,

    /// <summary>ECDSA P-256 over SHA-256 of the note text, DER-encoded (transparency-dev/witness, Rekor).</summary>
    Ecdsa = 0x02,

    /// <summary>RFC 6962 TreeHeadSignature over a checkpoint (c2sp.org/static-ct-api).</summary>
    Rfc6962TreeHead = 0x05,
}
