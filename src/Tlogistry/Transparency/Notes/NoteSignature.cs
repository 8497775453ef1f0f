namespace Tlogistry.Transparency.Notes;

/// <summary>
/// One signature line of a signed note. <see cref="Signature"/> excludes the 4-byte key ID
/// prefix; its format depends on the key's signature type.
/// </summary>
internal sealed record NoteSignature(string Name, uint KeyId, byte[] Signature)
{
    public bool Equals(NoteSignature? other) =>
        other is not null && Name == other.Name && KeyId == other.KeyId && Signature.AsSpan().SequenceEqual(other.Signature);

    public override int GetHashCode() => HashCode.Combine(Name, KeyId, Signature.Length);
}
