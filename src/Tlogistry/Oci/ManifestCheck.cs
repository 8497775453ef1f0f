using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Tlogistry.Oci;

/// <summary>
/// Decides whether bytes upstream answered for a manifest are one, and under which media type
/// the proxy serves them. Only the four types the proxy asks for are manifests here: OCI image
/// manifest and index, Docker schema 2 manifest and manifest list. Docker schema 1 (never asked
/// for; its digest is not the hash of the bytes served) and the withdrawn OCI artifact manifest
/// are refused; OCI 1.1 artifacts are image manifests with an <c>artifactType</c> and pass.
/// The served type is always one of these constants, never upstream's string.
/// </summary>
internal static class ManifestCheck
{
    private static readonly string[] Served = [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifest, MediaTypes.DockerManifestList];

    /// <summary>
    /// The served media type that a declared <c>Content-Type</c> names, ignoring parameters and
    /// case; null for anything else, including no header at all.
    /// </summary>
    public static string? ServedType(string? contentType)
    {
        var declared = Bare(contentType);
        return Array.Find(Served, t => t.Equals(declared, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Accepts <paramref name="body"/> as a manifest when upstream's declared type and the body
    /// agree on a served type: a JSON object with <c>schemaVersion</c> 2, a <c>mediaType</c>
    /// (when present) equal to the declared type, and the shape of its kind (an image manifest's
    /// <c>config</c> object and <c>layers</c> array, an index's <c>manifests</c> array). A
    /// generic or missing Content-Type leaves the body's own <c>mediaType</c> to decide.
    /// </summary>
    public static bool TryAccept(string? contentType, ReadOnlyMemory<byte> body, [NotNullWhen(true)] out string? mediaType, [NotNullWhen(false)] out string? problem)
    {
        mediaType = null;
        var declared = ServedType(contentType);
        var bare = Bare(contentType);
        if (declared is null && bare.Length > 0 && bare is not ("application/octet-stream" or "application/json"))
        {
            problem = $"upstream declared Content-Type \"{Printable(bare)}\", which is not a manifest type this proxy serves ({string.Join(", ", Served)})";
            return false;
        }

        // JsonDocument checks UTF-8 only in the strings it is asked to read: check all of it.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            problem = "the body is not a JSON document: it is not UTF-8";
            return false;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            problem = "the body is not a JSON document: " + e.Message;
            return false;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "the body is not a JSON object";
                return false;
            }

            // Registry clients in Go match member names ignoring case and keep the last one,
            // so such a pair reads as a second mediaType, schemaVersion or layers to them.
            if (CaseCollision(root) is { } pair)
            {
                problem = $"the member names \"{Printable(pair.First)}\" and \"{Printable(pair.Second)}\" differ only in case, so readers that ignore case take one for the other";
                return false;
            }

            if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != 2)
            {
                problem = "the body's schemaVersion is not 2";
                return false;
            }

            string? named = null;
            if (root.TryGetProperty("mediaType", out var field))
            {
                named = field.ValueKind == JsonValueKind.String ? field.GetString() : null;
                if (named is null || (declared is not null && !string.Equals(named, declared, StringComparison.Ordinal)))
                {
                    problem = $"the body's mediaType does not agree with the declared Content-Type {declared ?? "(none)"}";
                    return false;
                }
            }

            var type = declared ?? Array.Find(Served, t => string.Equals(t, named, StringComparison.Ordinal));
            if (type is null)
            {
                problem = "neither the Content-Type nor the body's mediaType names a manifest type this proxy serves";
                return false;
            }

            var shaped = MediaTypes.IsIndex(type)
                ? Is(root, "manifests", JsonValueKind.Array)
                : Is(root, "config", JsonValueKind.Object) && Is(root, "layers", JsonValueKind.Array);
            if (!shaped)
            {
                problem = MediaTypes.IsIndex(type) ? "the index has no manifests array" : "the manifest has no config object or no layers array";
                return false;
            }

            mediaType = type;
            problem = null;
            return true;
        }
    }

    /// <summary>
    /// Two member names of one object (at any depth) that are one field name to a reader that
    /// folds case as Go's encoding/json does. Annotations are left alone: Go reads them into a
    /// map, whose keys it compares exactly. JsonDocument's depth limit (64) bounds the recursion.
    /// </summary>
    private static (string First, string Second)? CaseCollision(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (CaseCollision(item) is { } inner)
                {
                    return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in element.EnumerateObject())
            {
                var folded = Fold(member.Name);
                if (!seen.TryAdd(folded, member.Name))
                {
                    return (seen[folded], member.Name);
                }

                if (member.Name != "annotations" && CaseCollision(member.Value) is { } inner)
                {
                    return inner;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Lowercase, with the two letters Unicode folds into ASCII that .NET's casing leaves
    /// alone: the long s ('ſ' is 's' to Go) and the Kelvin sign ('k').
    /// </summary>
    private static string Fold(string name) =>
        string.Create(name.Length, name, static (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                span[i] = text[i] switch
                {
                    '\u017F' => 's',
                    '\u212A' => 'k',
                    var c => char.ToLowerInvariant(c),
                };
            }
        });

    private static bool Is(JsonElement root, string name, JsonValueKind kind) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == kind;

    private static string Bare(string? contentType)
    {
        var value = contentType ?? "";
        var semicolon = value.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? value[..semicolon] : value).Trim().ToLowerInvariant();
    }

    /// <summary>Upstream's text quoted in an error: bounded, and only printable ASCII.</summary>
    private static string Printable(string text) =>
        new([.. text.Take(100).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
}
