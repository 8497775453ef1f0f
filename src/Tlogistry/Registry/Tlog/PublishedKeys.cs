using System.Security.Cryptography;
using System.Text.Json;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Registry.Tlog;

/// <summary>Whether a published key signs now or only still counts for sightings it signed before a rotation.</summary>
internal enum KeyRole
{
    Current,
    Previous,
}

/// <summary>One key whose sightings count, as <c>GET /tlog/keys</c> lists it.</summary>
/// <param name="PublicKeyDer">DER SubjectPublicKeyInfo.</param>
internal sealed record PublishedKey(byte[] PublicKeyDer, KeyRole Role)
{
    /// <summary>The hex SHA-256 of the DER key: the key ID envelopes carry and the fingerprint in <c>key:sha256:…</c> identities.</summary>
    public string KeyId => Convert.ToHexStringLower(SHA256.HashData(PublicKeyDer));

    public string Pem => PemEncoding.WriteString("PUBLIC KEY", PublicKeyDer) + "\n";
}

/// <summary>
/// The JSON of <c>GET /tlog/keys</c>: <c>{"keys":[{"keyId","hint","role","pem"}]}</c>, the
/// current key first. Read back by the client commands, which then trust every listed key.
/// </summary>
internal static class PublishedKeys
{
    public static byte[] Write(IReadOnlyList<PublishedKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("keys");
            foreach (var key in keys)
            {
                w.WriteStartObject();
                w.WriteString("keyId", key.KeyId);
                w.WriteString("hint", KeyPolicy.Hint(key.PublicKeyDer));
                w.WriteString("role", key.Role == KeyRole.Current ? "current" : "previous");
                w.WriteString("pem", key.Pem);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <exception cref="FormatException">Not such a document, or a key that is not a PEM public key.</exception>
    public static IReadOnlyList<PublishedKey> Read(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var keys = new List<PublishedKey>();
            foreach (var item in doc.RootElement.GetProperty("keys").EnumerateArray())
            {
                var role = item.GetProperty("role").GetString() switch
                {
                    "current" => KeyRole.Current,
                    "previous" => KeyRole.Previous,
                    var other => throw new FormatException($"key role \"{other}\" is neither current nor previous"),
                };
                keys.Add(new PublishedKey(Signing.PublicKeyPem.Read(item.GetProperty("pem").GetString() ?? "", "a published key"), role));
            }

            return keys.Count > 0 ? keys : throw new FormatException("the list of keys is empty");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not a list of keys: " + e.Message, e);
        }
    }
}
