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

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var envelope = doc.RootElement.GetProperty("envelope").GetBytesFromBase64();
            if (!SHA256.HashData(envelope).AsSpan().SequenceEqual(envelopeHash))
            {
                throw new FormatException($"the envelope record {Path.GetFileName(path)} holds an envelope of another hash");
            }

            return (doc.RootElement.GetProperty("integratedTime").GetInt64(), envelope);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"the envelope record {Path.GetFileName(path)} is malformed: {e.Message}", e);
        }
    }

    private string PathOf(ReadOnlySpan<byte> envelopeHash) =>
        Path.Combine(_directory, Convert.ToHexStringLower(envelopeHash) + ".json");
}
