using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tlogistry.Store;

/// <summary>
/// PostgreSQL advisory locks are named by one 64-bit number: the first 8 bytes (big-endian) of
/// the SHA-256 of a name. Tag references and the store's own lock names cannot collide, since
/// the latter contain spaces, which no reference does.
/// </summary>
internal static class AdvisoryKey
{
    /// <summary>Held while the schema is migrated, so replicas starting together take turns.</summary>
    public static readonly long Migrations = For("tlogistry schema migrations");

    public static long For(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
}
