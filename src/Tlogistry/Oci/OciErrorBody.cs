using System.Text.Json;

namespace Tlogistry.Oci;

/// <summary>
/// Builds the JSON error envelope of the OCI distribution specification:
/// <c>{"errors":[{"code":"...","message":"...","detail":...}]}</c>.
/// <c>detail</c> is left out when an error has none, and otherwise serialized with
/// <see cref="JsonSerializerOptions.Web"/> (camelCase property names).
/// </summary>
internal static class OciErrorBody
{
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>Returns the envelope as UTF-8 bytes, ready to write to a response body.</summary>
    public static byte[] ToUtf8Json(params IReadOnlyList<OciError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("errors");
            foreach (var error in errors)
            {
                ArgumentNullException.ThrowIfNull(error);
                writer.WriteStartObject();
                writer.WriteString("code", error.Code);
                writer.WriteString("message", error.Message);
                if (error.Detail is not null)
                {
                    writer.WritePropertyName("detail");
                    JsonSerializer.Serialize(writer, error.Detail, error.Detail.GetType(), JsonSerializerOptions.Web);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Returns the envelope as a string.</summary>
    public static string ToJson(params IReadOnlyList<OciError> errors) =>
        System.Text.Encoding.UTF8.GetString(ToUtf8Json(errors));
}
