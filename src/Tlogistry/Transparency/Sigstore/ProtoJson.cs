using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// One JSON object read as the protobuf JSON mapping defines it, which is how Sigstore bundles,
/// trusted roots and Rekor v2 answers are written: an absent or null field is its zero value
/// ("" for strings, no bytes, 0, an empty list, no message); int64 is a decimal string or a
/// number; bytes are standard or URL-safe base64, padded or not; a field may be spelled in
/// lowerCamelCase or as its proto name (snake_case). Every error is a <see cref="FormatException"/>
/// naming the field by its path from the document's root.
/// </summary>
internal readonly struct ProtoJson
{
    private readonly JsonElement element;

    private ProtoJson(JsonElement element, string path)
    {
        this.element = element;
        Path = path;
    }

    /// <summary>Where this object sits, e.g. <c>verificationMaterial.tlogEntries[0]</c>; empty at the root.</summary>
    public string Path { get; }

    /// <summary>The document's root object; <paramref name="what"/> names it in errors.</summary>
    public static ProtoJson Root(JsonElement root, string what) =>
        root.ValueKind == JsonValueKind.Object ? new(root, "") : throw new FormatException($"{what} is not a JSON object");

    /// <summary>Reads a whole document; <paramref name="what"/> names it in errors.</summary>
    public static T Parse<T>(ReadOnlySpan<byte> json, string what, Func<ProtoJson, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException($"{what} is not JSON: {e.Message}", e);
        }

        using (doc)
        {
            return read(Root(doc.RootElement, what));
        }
    }

    /// <summary>The raw JSON of this object, for members read by another format's own reader.</summary>
    public JsonElement Element => element;

    public bool Has(string name) => Find(name) is not null;

    /// <summary>A message field; null when absent or null.</summary>
    public ProtoJson? Message(string name)
    {
        if (Find(name) is not { } v)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Object ? new ProtoJson(v, Name(name)) : throw Wrong(name, "an object", v);
    }

    /// <summary>A message field the caller cannot do without.</summary>
    public ProtoJson RequiredMessage(string name) =>
        Message(name) ?? throw Missing(name);

    /// <summary>A repeated message field; empty when absent or null.</summary>
    public IReadOnlyList<ProtoJson> Messages(string name)
    {
        var list = new List<ProtoJson>();
        var i = 0;
        foreach (var item in Array(name))
        {
            var at = $"{Name(name)}[{i++}]";
            list.Add(item.ValueKind == JsonValueKind.Object ? new ProtoJson(item, at) : throw new FormatException($"{at} is not an object"));
        }

        return list;
    }

    /// <summary>A string field; "" when absent or null.</summary>
    public string String(string name) => Find(name) switch
    {
        null => "",
        { ValueKind: JsonValueKind.String } v => v.GetString()!,
        { } v => throw Wrong(name, "a string", v),
    };

    /// <summary>A string field that must not be empty.</summary>
    public string RequiredString(string name)
    {
        var value = String(name);
        return value.Length > 0 ? value : throw Missing(name);
    }

    /// <summary>A bytes field; empty when absent or null.</summary>
    public byte[] Bytes(string name) => Find(name) switch
    {
        null => [],
        { ValueKind: JsonValueKind.String } v => Base64(v.GetString()!, Name(name)),
        { } v => throw Wrong(name, "a base64 string", v),
    };

    /// <summary>A bytes field that must not be empty.</summary>
    public byte[] RequiredBytes(string name)
    {
        var value = Bytes(name);
        return value.Length > 0 ? value : throw Missing(name);
    }

    /// <summary>A repeated bytes field; empty when absent or null.</summary>
    public IReadOnlyList<byte[]> BytesList(string name)
    {
        var list = new List<byte[]>();
        var i = 0;
        foreach (var item in Array(name))
        {
            var at = $"{Name(name)}[{i++}]";
            list.Add(item.ValueKind == JsonValueKind.String ? Base64(item.GetString()!, at) : throw new FormatException($"{at} is not a base64 string"));
        }

        return list;
    }

    /// <summary>An int64 field that may not be negative here (indexes, sizes, times); 0 when absent or null.</summary>
    public long NonNegativeInt64(string name)
    {
        var value = Int64(name);
        return value >= 0 ? value : throw new FormatException($"{Name(name)} is negative");
    }

    /// <summary>An int64 field: a decimal string or an integral number; 0 when absent or null.</summary>
    public long Int64(string name) => Find(name) is { } v ? ParseInt64(v, Name(name)) : 0;

    /// <summary>An int64 as the protobuf JSON mapping writes it (a string) or as many writers do (a number).</summary>
    public static long ParseInt64(JsonElement v, string what)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Number:
                if (v.TryGetInt64(out var n))
                {
                    return n;
                }

                // 1e3 and 5.0 are integral numbers too; anything past int64 is not.
                if (v.TryGetDecimal(out var d) && d == decimal.Truncate(d) && d is >= long.MinValue and <= long.MaxValue)
                {
                    return (long)d;
                }

                throw new FormatException($"{what} is not an int64 ({Clip(v.GetRawText())})");
            case JsonValueKind.String:
                var text = v.GetString()!;
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s)
                    ? s
                    : throw new FormatException($"{what} is not an int64 ('{Clip(text)}')");
            default:
                throw new FormatException($"{what} is not an int64 (it is {Kind(v)})");
        }
    }

    private JsonElement.ArrayEnumerator Array(string name) => Find(name) switch
    {
        null => default,
        { ValueKind: JsonValueKind.Array } v => v.EnumerateArray(),
        { } v => throw Wrong(name, "an array", v),
    };

    /// <summary>The member by its JSON name or its proto name; null when absent or JSON null.</summary>
    private JsonElement? Find(string name)
    {
        if (element.TryGetProperty(name, out var v) || element.TryGetProperty(SnakeCase(name), out v))
        {
            return v.ValueKind == JsonValueKind.Null ? null : v;
        }

        return null;
    }

    private FormatException Missing(string name) =>
        new(Path.Length == 0 ? $"{name} is missing" : $"{Path} has no {name}");

    private string Name(string name) => Path.Length == 0 ? name : Path + "." + name;

    private FormatException Wrong(string name, string expected, JsonElement v) =>
        new($"{Name(name)} is not {expected} (it is {Kind(v)})");

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string SnakeCase(string name)
    {
        var b = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                b.Append('_').Append(char.ToLowerInvariant(c));
            }
            else
            {
                b.Append(c);
            }
        }

        return b.ToString();
    }

    /// <summary>Standard or URL-safe base64, padded or not, as the protobuf JSON mapping allows.</summary>
    private static byte[] Base64(string text, string what)
    {
        var normal = text.Replace('-', '+').Replace('_', '/');
        if (normal.Length % 4 != 0)
        {
            normal = normal.PadRight(normal.Length + (4 - (normal.Length % 4)), '=');
        }

        try
        {
            return Convert.FromBase64String(normal);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{what} is not base64", e);
        }
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
