using System.Net;
using System.Text.Json;

namespace Tlogistry.Tests.Conformance;

/// <summary>
/// What a registry answered, read whole: what the checks and the comparison look at. A body
/// that breaks off is noted (<see cref="BodyBroken"/>), not thrown: Distribution 2.8 sends its
/// 416 under the blob's Content-Length with a short text.
/// </summary>
public sealed record ConformanceAnswer(
    HttpStatusCode Status,
    string? ContentType,
    long? ContentLength,
    string? ContentDigest,
    string? ContentRange,
    string? FiltersApplied,
    byte[] Body,
    bool BodyBroken = false)
{
    public int Code => (int)Status;

    public static async Task<ConformanceAnswer> ReadAsync(HttpResponseMessage response)
    {
        byte[] body;
        var broken = false;
        try
        {
            body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            // The status and headers arrived, the body did not (shorter than its Content-Length).
            body = [];
            broken = true;
        }

        return new ConformanceAnswer(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Content.Headers.ContentLength,
            Header(response, "Docker-Content-Digest"),
            Header(response, "Content-Range"),
            Header(response, "OCI-Filters-Applied"),
            body,
            broken);
    }

    /// <summary>The first OCI error code of the body, or null when it is not an OCI error body.</summary>
    public string? ErrorCode()
    {
        try
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public JsonDocument Json() => JsonDocument.Parse(Body);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;
}
