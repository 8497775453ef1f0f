using System.Security.Cryptography;
using System.Text.Json;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// What a dsse leaf only hashes, kept beside the log so that the log alone still rebuilds the
/// store: per envelope (named by the SHA-256 the leaf records as its envelopeHash) the exact
/// envelope bytes, the time the log integrated it, the leaf's index, and the signed entry
/// timestamp the log made over those once, at append. The file is not signed, so a record is
/// only believed when its envelope hashes to its name and its timestamp verifies with the log's
/// key. A record is durable before its leaf is appended; one whose leaf never came is harmless.
/// </summary>
internal sealed class EnvelopeRecords
{
    // DateTimeOffset's range: a time outside it is no time a verifier can state.
    private static readonly long MaxTime = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private readonly string _directory;

    public EnvelopeRecords(string logDirectory)
    {
        _directory = Path.Combine(logDirectory, "envelopes");
    }

    /// <summary>
    /// Writes the record of <paramref name="record"/>'s envelope unless one is there: the first
    /// record stays (false). With <paramref name="replace"/> an existing one is replaced, for a
    /// record whose leaf never came.
    /// </summary>
    /// <remarks>
    /// With <paramref name="deferred"/> the record is only written under a temporary name here;
    /// the batch commit syncs it and links it in before its leaf's checkpoint.
    /// </remarks>
    public bool Write(EnvelopeRecord record, bool replace = false, DeferredSync? deferred = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("integratedTime", record.IntegratedTime);
            w.WriteNumber("logIndex", record.LogIndex);
            w.WriteBase64String("signedEntryTimestamp", record.SignedEntryTimestamp);
            w.WriteBase64String("envelope", record.Envelope);
            w.WriteEndObject();
        }

        var path = PathOf(SHA256.HashData(record.Envelope));
        if (deferred is not null)
        {
            if (deferred.Claims(path) || (!replace && File.Exists(path)))
            {
                return false;
            }

            var staged = path + ".new";
            DurableFile.WriteUnsynced(staged, buffer.ToArray());
            deferred.Add(staged, path, replace);
            return true;
        }

        if (replace)
        {
            DurableFile.Write(path, buffer.ToArray(), atomicReplace: true);
            return true;
        }

        if (File.Exists(path))
        {
            return false;
        }

        // Written whole under a temporary name, then linked in without replacing: a record is
        // either absent or complete, and never overwritten.
        var temporary = path + ".new";
        DurableFile.Write(temporary, buffer.ToArray(), atomicReplace: false);
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }

        DurableFile.SyncDirectory(_directory);
        return true;
    }

    /// <summary>The record of the envelope whose SHA-256 is <paramref name="envelopeHash"/>, or null when there is none.</summary>
    /// <exception cref="FormatException">The record is malformed or holds another envelope.</exception>
    public EnvelopeRecord? Read(ReadOnlySpan<byte> envelopeHash)
    {
        var path = PathOf(envelopeHash);
        if (!File.Exists(path))
        {
            return null;
        }

        return Parse(File.ReadAllBytes(path), envelopeHash);
    }

    /// <summary>Where the record of <paramref name="envelopeHash"/> is kept, for messages naming it.</summary>
    public string PathOf(ReadOnlySpan<byte> envelopeHash) => Path.Combine(_directory, NameOf(envelopeHash));

    /// <summary>The file name of an envelope's record, also its path under a log's <c>envelopes/</c> URL.</summary>
    public static string NameOf(ReadOnlySpan<byte> envelopeHash) => Convert.ToHexStringLower(envelopeHash) + ".json";

    /// <summary>The bytes of <paramref name="envelopeHash"/>'s record (a file or a served copy). Its timestamp is not checked here.</summary>
    /// <exception cref="FormatException">The record is malformed, out of range, or holds another envelope.</exception>
    public static EnvelopeRecord Parse(byte[] record, ReadOnlySpan<byte> envelopeHash)
    {
        var name = NameOf(envelopeHash);
        try
        {
            using var doc = JsonDocument.Parse(record);
            var root = doc.RootElement;
            var envelope = root.GetProperty("envelope").GetBytesFromBase64();
            if (!SHA256.HashData(envelope).AsSpan().SequenceEqual(envelopeHash))
            {
                throw new FormatException($"the envelope record {name} holds an envelope of another hash");
            }

            var integrated = root.GetProperty("integratedTime").GetInt64();
            if (integrated is < 0 || integrated > MaxTime)
            {
                throw new FormatException($"the envelope record {name} has integratedTime {integrated}, outside 0..{MaxTime}");
            }

            var index = root.GetProperty("logIndex").GetInt64();
            if (index < 0)
            {
                throw new FormatException($"the envelope record {name} has a negative logIndex");
            }

            return new EnvelopeRecord(integrated, index, root.GetProperty("signedEntryTimestamp").GetBytesFromBase64(), envelope);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"the envelope record {name} is malformed: {e.Message}", e);
        }
    }

    /// <summary>The stored bytes of a record by its file name, or null when there is none or the name is not one.</summary>
    public byte[]? ReadFile(string name)
    {
        if (name.Length != 69 || !name.EndsWith(".json", StringComparison.Ordinal) || !name[..64].All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            return null;
        }

        var path = Path.Combine(_directory, name);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

}

/// <summary>An envelope's record: the integrated time and index the log signed, that signature, and the envelope bytes.</summary>
internal sealed record EnvelopeRecord(long IntegratedTime, long LogIndex, byte[] SignedEntryTimestamp, byte[] Envelope);
