using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// RFC 8785 JSON canonicalization for the values Rekor bodies hold: objects with sorted
/// keys, arrays, strings, integers, booleans and null. Rekor stores every body this way, so
/// a byte-exact leaf needs it; System.Text.Json's writer escapes '+', '&lt;' and non-ASCII.
/// </summary>
internal static class Jcs
{
    public static byte[] Serialize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    sb.Append(first ? "" : ",");
                    first = false;
                    WriteString(sb, key);
                    sb.Append(':');
                    Write(sb, value);
                }

                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    sb.Append(i == 0 ? "" : ",");
                    Write(sb, array[i]);
                }

                sb.Append(']');
                break;
            case JsonValue value when value.TryGetValue<string>(out var s):
                WriteString(sb, s);
                break;
            case JsonValue value when value.TryGetValue<bool>(out var b):
                sb.Append(b ? "true" : "false");
                break;
            case JsonValue value when value.TryGetValue<long>(out var n):
                sb.Append(n.ToString(CultureInfo.InvariantCulture));
                break;
            case JsonValue value when value.TryGetValue<int>(out var i32):
                sb.Append(i32.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                throw new ArgumentException("only strings, integers, booleans, null, arrays and objects are canonicalized here", nameof(node));
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
