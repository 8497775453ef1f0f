using System.Text.Json;

namespace Tlogistry.LogServer;

/// <summary>
/// What can be recovered from a leaf alone, for a sidecar row lost before it was written:
/// kind, version and the search keys the body itself carries. Subject digests of an intoto
/// statement are not in its body, so such an entry is then found by key and payload only.
/// </summary>
internal static class StoredBody
{
    public static (string Kind, string ApiVersion, IReadOnlyList<string> IndexKeys) Describe(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var kind = root.GetProperty("kind").GetString() ?? "";
            var version = root.GetProperty("apiVersion").GetString() ?? "";
            var spec = root.GetProperty("spec");
            var keys = new List<string>();
            switch (kind, version)
            {
                case ("hashedrekord", "0.0.2"):
                    var hr = spec.GetProperty("hashedRekordV002");
                    keys.Add("sha256:" + Convert.ToHexStringLower(Convert.FromBase64String(hr.GetProperty("data").GetProperty("digest").GetString()!)));
                    var verifier = hr.GetProperty("signature").GetProperty("verifier");
                    keys.Add(verifier.TryGetProperty("publicKey", out var pk)
                        ? SignerKey.FromSpki(Convert.FromBase64String(pk.GetProperty("rawBytes").GetString()!)).IndexKey
                        : SignerKey.FromCertificateDer(Convert.FromBase64String(verifier.GetProperty("x509Certificate").GetProperty("rawBytes").GetString()!)).IndexKey);
                    break;
                case ("dsse", "0.0.2"):
                    var dsse = spec.GetProperty("dsseV002");
                    foreach (var s in dsse.GetProperty("signatures").EnumerateArray())
                    {
                        var v = s.GetProperty("verifier");
                        keys.Add(v.TryGetProperty("publicKey", out var key)
                            ? SignerKey.FromSpki(Convert.FromBase64String(key.GetProperty("rawBytes").GetString()!)).IndexKey
                            : SignerKey.FromCertificateDer(Convert.FromBase64String(v.GetProperty("x509Certificate").GetProperty("rawBytes").GetString()!)).IndexKey);
                    }

                    keys.Add("sha256:" + Convert.ToHexStringLower(Convert.FromBase64String(dsse.GetProperty("payloadHash").GetProperty("digest").GetString()!)));
                    break;
                case ("intoto", "0.0.2"):
                    var content = spec.GetProperty("content");
                    foreach (var s in content.GetProperty("envelope").GetProperty("signatures").EnumerateArray())
                    {
                        keys.AddRange(SignerKey.FromPem(Convert.FromBase64String(s.GetProperty("publicKey").GetString()!)).IndexKeys);
                    }

                    keys.Add("sha256:" + content.GetProperty("payloadHash").GetProperty("value").GetString());
                    break;
                case ("dsse", "0.0.1"):
                    foreach (var s in spec.GetProperty("signatures").EnumerateArray())
                    {
                        keys.Add(SignerKey.FromPem(Convert.FromBase64String(s.GetProperty("verifier").GetString()!)).IndexKey);
                    }

                    keys.Add("sha256:" + spec.GetProperty("payloadHash").GetProperty("value").GetString());
                    keys.Add("sha256:" + spec.GetProperty("envelopeHash").GetProperty("value").GetString());
                    break;
            }

            return (kind, version, keys.Select(k => k.ToLowerInvariant()).ToList());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or BadEntryException)
        {
            // A leaf this server did not write (the proxy's own embedded log, say): kept, not searchable.
            return ("unknown", "", []);
        }
    }
}
