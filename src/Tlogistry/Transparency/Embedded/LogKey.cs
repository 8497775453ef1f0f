using Tlogistry.Signing;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// The embedded log's Ed25519 checkpoint key, kept in signed-note skey form (mode 0600).
/// A new log gets an origin that names its key, so two logs never share an origin.
/// </summary>
internal static class LogKey
{
    public static Ed25519NoteSigner LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            try
            {
                return Ed25519NoteSigner.FromSkey(File.ReadAllText(path).Trim());
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"log key {path} is not a signed-note private key: {e.Message}", e);
            }
        }

        var seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var probe = new Ed25519NoteSigner("tlogistry", seed);
        var origin = "tlogistry.local/" + probe.Vkey.Split('+')[1];
        var signer = new Ed25519NoteSigner(origin, seed);
        SecretFile.WriteNew(path, signer.Skey + "\n");
        return signer;
    }
}
