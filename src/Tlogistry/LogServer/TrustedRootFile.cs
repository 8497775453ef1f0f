using System.Globalization;
using System.Text.Json;

namespace Tlogistry.LogServer;

/// <summary>
/// A Sigstore trusted root naming this log, once per API: with the Rekor v1 log ID
/// (SHA-256 of the DER key) and with the v2 / tiles log ID (the signed-note key hash).
/// Verifiers match an entry to its log by log ID, so each answer's ID must be listed. The v1
/// entry's baseUrl is the server's (v1 checkpoints are signed as its host); the v2 entry's is
/// the tiles API under the log's origin, which its checkpoints are signed as.
/// </summary>
internal static class TrustedRootFile
{
    public const string MediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

    public static byte[] Build(ServedLog log, string baseUrl, LogTimestampAuthority? tsa = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = ApiResponses.Writer.Encoder }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            w.WriteStartArray("tlogs");
            WriteLog(w, log, baseUrl, log.V1LogId);
            WriteLog(w, log, baseUrl + Serving.TileApi.OriginPath(log.Embedded.Origin), log.V2LogId);
            w.WriteEndArray();
            w.WriteStartArray("certificateAuthorities");
            w.WriteEndArray();
            w.WriteStartArray("ctlogs");
            w.WriteEndArray();
            w.WriteStartArray("timestampAuthorities");
            if (tsa is not null)
            {
                WriteTimestampAuthority(w, tsa, baseUrl);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteTimestampAuthority(Utf8JsonWriter w, LogTimestampAuthority tsa, string baseUrl)
    {
        w.WriteStartObject();
        w.WriteStartObject("subject");
        w.WriteString("organization", "tlogistry");
        w.WriteString("commonName", "tlogistry log TSA");
        w.WriteEndObject();
        w.WriteString("uri", baseUrl + "/api/v1/timestamp");
        w.WriteStartObject("certChain");
        w.WriteStartArray("certificates");
        foreach (var c in tsa.Chain)
        {
            w.WriteStartObject();
            w.WriteBase64String("rawBytes", c.RawData);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("validFor");
        w.WriteString("start", tsa.Chain[0].NotBefore.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteLog(Utf8JsonWriter w, ServedLog log, string baseUrl, byte[] logId)
    {
        w.WriteStartObject();
        w.WriteString("baseUrl", baseUrl);
        w.WriteString("hashAlgorithm", "SHA2_256");
        w.WriteStartObject("publicKey");
        w.WriteBase64String("rawBytes", log.PublicKeyDer);
        w.WriteString("keyDetails", "PKIX_ED25519");
        w.WriteStartObject("validFor");
        w.WriteString("start", log.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("logId");
        w.WriteBase64String("keyId", logId);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
