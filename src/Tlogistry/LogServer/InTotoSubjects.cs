using System.Text.Json;

namespace Tlogistry.LogServer;

/// <summary>
/// The digests Rekor indexes an in-toto statement under: every subject digest, and the
/// materials of a SLSA provenance predicate, as lower-case "alg:value".
/// </summary>
internal static class InTotoSubjects
{
    public const string PayloadType = "application/vnd.in-toto+json";

    public static IEnumerable<string> IndexKeys(string payloadType, byte[] statement)
    {
        if (payloadType != PayloadType)
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(statement, new JsonDocumentOptions { MaxDepth = 64 });
            var keys = new List<string>();
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            Collect(root, "subject", keys);
            if (root.TryGetProperty("predicate", out var predicate) && predicate.ValueKind == JsonValueKind.Object)
            {
                Collect(predicate, "materials", keys);
            }

            return keys;
        }
        catch (JsonException)
        {
            // Rekor indexes nothing from a payload that is not a statement, and still logs it.
            return [];
        }
    }

    private static void Collect(JsonElement parent, string name, List<string> keys)
    {
        if (!parent.TryGetProperty(name, out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("digest", out var digest) && digest.ValueKind == JsonValueKind.Object)
            {
                foreach (var d in digest.EnumerateObject())
                {
                    if (d.Value.ValueKind == JsonValueKind.String)
                    {
                        keys.Add((d.Name + ":" + d.Value.GetString()).ToLowerInvariant());
                    }
                }
            }
        }
    }
}
