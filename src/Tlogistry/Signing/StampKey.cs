using System.Security.Cryptography;
using Tlogistry.Files;

namespace Tlogistry.Signing;

/// <summary>
/// The secret behind verification stamps (<see cref="Ledger.VerificationStamps"/>). In key mode
/// it is derived from the signing key, so replicas that share the key share it and trust each
/// other's stamps; in keyless mode it is a random key kept in the data directory (mode 0600).
/// The store never holds it: a stamp is only as strong as this key is private.
/// </summary>
internal sealed class StampKey
{
    public const string FileName = "stamp-key";
    private const int Bytes = 32;

    private StampKey(byte[] secret) => Secret = secret;

    public byte[] Secret { get; }

    public static StampKey From(InstanceKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new StampKey(key.DeriveSecret("tlogistry verification stamps", Bytes));
    }

    /// <summary>
    /// The key in <paramref name="path"/>, made there first when the file is missing or empty (a
    /// start that stopped between creating and writing it): a new key costs only one full
    /// verification per pin. A file with anything else in it is the operator's, and is refused.
    /// </summary>
    public static StampKey LoadOrCreate(string path)
    {
        if (File.Exists(path) && new FileInfo(path).Length > 0)
        {
            byte[] secret;
            try
            {
                secret = Convert.FromHexString(File.ReadAllText(path).Trim());
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"stamp key {path} is not hex: {e.Message}", e);
            }

            return secret.Length == Bytes ? new StampKey(secret) : throw new InvalidOperationException($"stamp key {path} must hold {Bytes} bytes as hex");
        }

        File.Delete(path);
        var created = RandomNumberGenerator.GetBytes(Bytes);
        SecretFile.WriteNew(path, Convert.ToHexStringLower(created) + "\n");
        return new StampKey(created);
    }
}
