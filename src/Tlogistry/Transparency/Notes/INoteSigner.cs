namespace Tlogistry.Transparency.Notes;

/// <summary>A private key that produces note signatures (without the key ID prefix).</summary>
internal interface INoteSigner
{
    string Name { get; }

    uint KeyId { get; }

    byte[] Sign(string text);
}
