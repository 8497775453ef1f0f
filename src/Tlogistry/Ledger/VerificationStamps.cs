using System.Buffers.Binary;
using System.Security.Cryptography;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// Stamps on stored pins that say "this instance verified this very row, under these terms":
/// an HMAC-SHA256, by a key the store never holds, over the terms' fingerprint, the row's
/// content hash (SHA-256 of every column, the bundle's bytes included: all 256 bits, since a
/// store writer may search offline for two rows that collide), the log time the verification
/// found and when it was done. A process that finds a valid stamp trusts the row as if it had
/// verified it itself, so a pin verified once stays cheap to read across restarts.
/// <para>
/// A stamp counts only when all of these hold: the same key made it; the terms are the same
/// (trusted root, legacy log, signer policy, identity, configured log, program version: any
/// change re-verifies every row); the row's content is the one stamped (an edit, or a stamp
/// copied to another row, fails); and no trusted key or authority's validity ended between
/// the verification and now, since a check made "at now" could fail after such an end.
/// </para>
/// </summary>
internal sealed class VerificationStamps
{
    private const byte Version = 1;
    private const int KeyIdBytes = 8;
    private const int MacBytes = 16;

    // Version, key ID, verified-at ticks, log-time ticks, MAC.
    private const int Length = 1 + KeyIdBytes + 8 + 8 + MacBytes;
    private const long NoTime = long.MinValue;

    private readonly byte[] _key;
    private readonly byte[] _terms;
    private readonly byte[] _keyId;
    private readonly DateTimeOffset[] _validityEnds;

    /// <param name="key">The stamp key: 32 secret bytes, the same for every process that should trust another's stamps.</param>
    /// <param name="terms">Everything verification depends on besides the row and the time, part by part.</param>
    /// <param name="validityEnds">When trusted keys and authorities stop being valid.</param>
    public VerificationStamps(ReadOnlySpan<byte> key, IEnumerable<byte[]> terms, IEnumerable<DateTimeOffset> validityEnds)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("a stamp key is at least 32 bytes", nameof(key));
        }

        ArgumentNullException.ThrowIfNull(validityEnds);
        _key = key.ToArray();
        _terms = FramedHash.Sha256(terms);
        _keyId = HMACSHA256.HashData(_key, "tlogistry stamp key id"u8)[..KeyIdBytes];
        _validityEnds = [.. validityEnds.Order()];
    }

    /// <summary>The stamp for a row verified at <paramref name="verifiedAt"/> (a time no later than the verification).</summary>
    public byte[] Seal(ReadOnlySpan<byte> contentHash, DateTimeOffset? logTime, DateTimeOffset verifiedAt)
    {
        var stamp = new byte[Length];
        stamp[0] = Version;
        _keyId.CopyTo(stamp.AsSpan(1));
        BinaryPrimitives.WriteInt64BigEndian(stamp.AsSpan(1 + KeyIdBytes), verifiedAt.UtcTicks);
        BinaryPrimitives.WriteInt64BigEndian(stamp.AsSpan(1 + KeyIdBytes + 8), logTime?.UtcTicks ?? NoTime);
        Mac(stamp.AsSpan(0, Length - MacBytes), contentHash, stamp.AsSpan(Length - MacBytes));
        return stamp;
    }

    /// <summary>Whether <paramref name="stamp"/> vouches for the row with <paramref name="contentHash"/> now; <paramref name="logTime"/> is the log time it found.</summary>
    public bool TryOpen(byte[]? stamp, ReadOnlySpan<byte> contentHash, DateTimeOffset now, out DateTimeOffset? logTime)
    {
        logTime = null;
        if (stamp is null || stamp.Length != Length || stamp[0] != Version || !stamp.AsSpan(1, KeyIdBytes).SequenceEqual(_keyId))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(stamp.AsSpan(0, Length - MacBytes), contentHash, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, stamp.AsSpan(Length - MacBytes)))
        {
            return false;
        }

        var verifiedAt = BinaryPrimitives.ReadInt64BigEndian(stamp.AsSpan(1 + KeyIdBytes));
        if (verifiedAt > now.UtcTicks || _validityEnds.Any(end => end.UtcTicks >= verifiedAt && end.UtcTicks < now.UtcTicks))
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(stamp.AsSpan(1 + KeyIdBytes + 8));
        if (ticks != NoTime && (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks))
        {
            return false;
        }

        logTime = ticks == NoTime ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    /// <summary>
    /// Whether this instance may write its own stamp over <paramref name="stamp"/>: none, or one
    /// of its own key (made under other terms, or for another row). A stamp by another key
    /// (a replica with its own) is left for that replica, so two never rewrite each other's.
    /// </summary>
    public bool MayReplace(byte[]? stamp) =>
        stamp is null || stamp.Length < 1 + KeyIdBytes || stamp.AsSpan(1, KeyIdBytes).SequenceEqual(_keyId);

    private void Mac(ReadOnlySpan<byte> header, ReadOnlySpan<byte> contentHash, Span<byte> destination)
    {
        if (contentHash.Length != 32)
        {
            throw new ArgumentException("a row's content hash is SHA-256", nameof(contentHash));
        }

        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        mac.AppendData(_terms);
        mac.AppendData(contentHash);
        mac.AppendData(header);
        Span<byte> sum = stackalloc byte[32];
        mac.GetHashAndReset(sum);
        sum[..MacBytes].CopyTo(destination);
    }
}
