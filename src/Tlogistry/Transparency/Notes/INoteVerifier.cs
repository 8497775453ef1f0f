namespace Tlogistry.Transparency.Notes;

/// <summary>A trusted public key, identified in signature lines by its name and key ID.</summary>
internal interface INoteVerifier
{
    string Name { get; }

    uint KeyId { get; }

    /// <summary>Checks <paramref name="signature"/> (without key ID prefix) over the note text.</summary>
    bool Verify(string text, byte[] signature);
}
