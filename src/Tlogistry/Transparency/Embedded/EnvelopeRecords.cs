using System.Security.Cryptography;
using System.Text.Json;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// What a dsse leaf only hashes, kept beside the log so that the log alone still rebuilds the
/// store: per envelope (named by the SHA-256 the leaf records as its envelopeHash) the exact
/// envelope bytes and the time the log integrated it, which its signed entry timestamp states.
/// A record is durable before its leaf is appended; one whose leaf never came is harmless. A
/// record is only believed when its envelope hashes to its name.
/// </summary>
internal sealed class EnvelopeRecords
{
    private readonly string _directory;

    public EnvelopeRecords(string logDirectory)
    {
        _directory = Path.Combine(logDirectory, "envelopes");
    }

    public void Write(ReadOnlySpan<byte> envelope, long integratedTime)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("integratedTime", integratedTime);
            w.WriteBase64String("envelope", envelope);
            w.WriteEndObject();
        }

        DurableFile.Write(PathOf(SHA256.HashData(envelope)), buffer.ToArray(), atomicReplace: true);
    }

    /// <summary>The record of the envelope whose SHA-256 is <paramref name="envelopeHash"/>, or null when there is none.</summary>
    /// <exception cref="FormatException">The record is malformed or holds another envelope.</exception>
    public (long IntegratedTime, byte[] Envelope)? Read(ReadOnlySpan<byte> envelopeHash)
    {
        var path = PathOf(envelopeHash);
        if (!File.Exists(path))
        {
            return null;
        }

        return Parse(File.ReadAllBytes(path), envelopeHash);
    }

    /// <summary>The file name of an envelope's record, also its path under a log's <c>envelopes/</c> URL.</summary>
    public static string NameOf(ReadOnlySpan<byte> envelopeHash) => Convert.ToHexStringLower(envelopeHash) + ".json";

    /// <summary>The bytes of <paramref name="envelopeHash"/>'s record at <paramref name="path"/> (a file or a served copy).</summary>
    /// <exception cref="FormatException">The record is malformed or holds another envelope.</exception>
    public static (long IntegratedTime, byte[] Envelope) Parse(byte[] record, ReadOnlySpan<byte> envelopeHash)
    {
        var name = NameOf(envelopeHash);
        try
        {
            using var doc = JsonDocument.Parse(record);
            var envelope = doc.RootElement.GetProperty("envelope").GetBytesFromBase64();
            if (!SHA256.HashData(envelope).AsSpan().SequenceEqual(envelopeHash))
            {
                throw new FormatException($"the envelope record {name} holds an envelope of another hash");
            }

            return (doc.RootElement.GetProperty("integratedTime").GetInt64(), envelope);
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

    private string PathOf(ReadOnlySpan<byte> envelopeHash) => Path.Combine(_directory, NameOf(envelopeHash));
}
