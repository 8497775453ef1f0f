using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// Sits between a client and a live log on loopback and misbehaves on request: answers 500,
/// never answers, or serves Rekor v1 entries and v2 create answers whose inclusion proof
/// names a wrong root hash. Otherwise it forwards requests unchanged.
/// </summary>
internal sealed class FaultyRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new();

    private FaultyRelay(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public enum Fault
    {
        None,
        Error500,
        Hang,
        BreakProofs,
    }

    public Uri BaseUri { get; }

    public Fault Mode { get; set; }

    public static async Task<FaultyRelay> StartAsync(Uri target)
    {
        FaultyRelay? self = null;
        var (app, baseUri) = await LoopbackApp.StartAsync(c => self!.HandleAsync(c, target));
        self = new FaultyRelay(app, new Uri(baseUri.ToString().TrimEnd('/')));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await LoopbackApp.StopAsync(_app);
        _http.Dispose();
    }

    private async Task HandleAsync(HttpContext c, Uri target)
    {
        switch (Mode)
        {
            case Fault.Error500:
                c.Response.StatusCode = 500;
                return;
            case Fault.Hang:
                await Task.Delay(Timeout.Infinite, c.RequestAborted);
                return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(c.Request.Method), new Uri(target, c.Request.Path + c.Request.QueryString));
        if (c.Request.ContentLength > 0 || HttpMethods.IsPost(c.Request.Method))
        {
            using var buffer = new MemoryStream();
            await c.Request.Body.CopyToAsync(buffer, c.RequestAborted);
            request.Content = new ByteArrayContent(buffer.ToArray());
            request.Content.Headers.TryAddWithoutValidation("Content-Type", c.Request.ContentType ?? "application/json");
        }

        using var response = await _http.SendAsync(request, c.RequestAborted);
        var body = await response.Content.ReadAsByteArrayAsync(c.RequestAborted);
        if (Mode == Fault.BreakProofs && response.IsSuccessStatusCode && body.Length > 0 && body[0] is (byte)'{' or (byte)'[')
        {
            body = Encoding.UTF8.GetBytes(BreakRoots(JsonNode.Parse(body)!).ToJsonString());
        }

        c.Response.StatusCode = (int)response.StatusCode;
        if (response.Headers.Location is { } location)
        {
            c.Response.Headers.Location = location.ToString();
        }

        c.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await c.Response.Body.WriteAsync(body, c.RequestAborted);
    }

    /// <summary>Replaces every inclusion proof's root hash (hex in v1, base64 in v2) with zeros.</summary>
    private static JsonNode BreakRoots(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            if (obj["inclusionProof"] is JsonObject proof && proof["rootHash"] is JsonValue root)
            {
                var text = root.GetValue<string>();
                proof["rootHash"] = text.Length == 64 ? new string('0', 64) : Convert.ToBase64String(new byte[32]);
            }

            foreach (var (_, child) in obj.ToList())
            {
                if (child is not null)
                {
                    BreakRoots(child);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array)
            {
                if (child is not null)
                {
                    BreakRoots(child);
                }
            }
        }

        return node;
    }
}
