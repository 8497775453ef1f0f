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

    public static StampKey LoadOrCreate(string path)
    {
        if (File.Exists(path))
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

        var created = RandomNumberGenerator.GetBytes(Bytes);
        SecretFile.WriteNew(path, Convert.ToHexStringLower(created) + "\n");
        return new StampKey(created);
    }
}
