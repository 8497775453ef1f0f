using System.Text.Json;

namespace Tlogistry.LogServer;

/// <summary>Reading proposed entries: every missing or mistyped field is a <see cref="BadEntryException"/> naming it.</summary>
internal static class EntryJson
{
    public static JsonElement Object(JsonElement parent, string name, string where)
    {
        return parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object
            ? v
            : throw new BadEntryException($"{where}.{name} must be an object");
    }

    public static JsonElement? OptionalObject(JsonElement parent, string name)
    {
        return parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;
    }

    public static string String(JsonElement parent, string name, string where)
    {
        return parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new BadEntryException($"{where}.{name} must be a string");
    }

    public static string? OptionalString(JsonElement parent, string name, string where)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new BadEntryException($"{where}.{name} must be a string");
    }

    public static byte[] Base64(JsonElement parent, string name, string where)
    {
        var text = String(parent, name, where);
        try
        {
            var bytes = Convert.FromBase64String(text);
            return bytes.Length > 0 ? bytes : throw new BadEntryException($"{where}.{name} is empty");
        }
        catch (FormatException e)
        {
            throw new BadEntryException($"{where}.{name} is not base64", e);
        }
    }

    public static byte[] Base64(string text, string what)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw new BadEntryException(what + " is not base64", e);
        }
    }

    /// <summary>Parses a request body; malformed JSON is the client's error.</summary>
    public static JsonDocument Parse(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new BadEntryException("request body is not valid JSON: " + e.Message, e);
        }
    }
}
