using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tlogistry.LogServer;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// A hostile log as an operator holding the log's key could run it: a front on a real
/// <c>tlogistry log serve</c> that forwards every request to <see cref="Target"/> (which can be
/// switched to another log serve holding the same key: a fork) and lets a test rewrite any
/// JSON answer, re-signing what it changed with the log's own Ed25519 key, read from the log's
/// data directory. It speaks the log's published API exactly; only what it says is false.
/// </summary>
internal sealed class HostileLog : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new();

    private HostileLog(WebApplication app, Uri baseUri, Uri target, Ed25519NoteSigner key)
    {
        _app = app;
        BaseUri = baseUri;
        Target = target;
        Key = key;
    }

    /// <summary>The front's address, without a trailing slash, as a trusted root names a log.</summary>
    public Uri BaseUri { get; }

    /// <summary>The log serve process requests go to.</summary>
    public Uri Target { get; set; }

    /// <summary>The log's private key, as its operator holds it.</summary>
    public Ed25519NoteSigner Key { get; }

    /// <summary>Rewrites a successful JSON answer (request method and path given); null leaves it as it is.</summary>
    public Func<string, string, JsonNode, JsonNode?>? Rewrite { get; set; }

    public static async Task<HostileLog> StartAsync(LogServeProcess log)
    {
        ArgumentNullException.ThrowIfNull(log);
        HostileLog? self = null;
        var (app, baseUri) = await LoopbackApp.StartAsync(c => self!.HandleAsync(c));
        self = new HostileLog(app, new Uri(baseUri.ToString().TrimEnd('/')), log.BaseUri, LogKey.LoadOrCreate(Path.Combine(log.DataDir, "log", "log-key")));
        return self;
    }

    /// <summary>The log's trusted root with its URL replaced by the front's, as an operator pointed at the front would have it.</summary>
    public string TrustedRoot(LogServeProcess log, string dir)
    {
        ArgumentNullException.ThrowIfNull(log);
        var path = Path.Combine(dir, "hostile_root.json");
        File.WriteAllText(path, File.ReadAllText(log.TrustedRootPath).Replace(log.BaseUri.ToString().TrimEnd('/'), BaseUri.ToString().TrimEnd('/'), StringComparison.Ordinal));
        return path;
    }

    /// <summary>A Rekor v1 signed entry timestamp over what the entry now says, made with the log's key.</summary>
    public string SignEntryTimestamp(JsonObject entry, byte[] logId)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var body = Convert.FromBase64String(entry["body"]!.GetValue<string>());
        var payload = SignedEntryTimestamp.CanonicalPayload(body, entry["integratedTime"]!.GetValue<long>(), logId, entry["logIndex"]!.GetValue<long>());
        return Convert.ToBase64String(Key.Sign(Encoding.UTF8.GetString(payload)));
    }

    public async ValueTask DisposeAsync()
    {
        await LoopbackApp.StopAsync(_app);
        _http.Dispose();
    }

    private async Task HandleAsync(HttpContext c)
    {
        using var request = new HttpRequestMessage(new HttpMethod(c.Request.Method), new Uri(Target, c.Request.Path + c.Request.QueryString));
        if (c.Request.ContentLength > 0 || HttpMethods.IsPost(c.Request.Method))
        {
            using var buffer = new MemoryStream();
            await c.Request.Body.CopyToAsync(buffer, c.RequestAborted);
            request.Content = new ByteArrayContent(buffer.ToArray());
            request.Content.Headers.TryAddWithoutValidation("Content-Type", c.Request.ContentType ?? "application/json");
        }

        using var response = await _http.SendAsync(request, c.RequestAborted);
        var body = await response.Content.ReadAsByteArrayAsync(c.RequestAborted);
        if (Rewrite is { } rewrite && response.IsSuccessStatusCode && body.Length > 0 && body[0] is (byte)'{' or (byte)'[')
        {
            if (rewrite(c.Request.Method, c.Request.Path.Value ?? "", JsonNode.Parse(body)!) is { } lie)
            {
                body = Encoding.UTF8.GetBytes(lie.ToJsonString());
            }
        }

        c.Response.StatusCode = (int)response.StatusCode;
        if (response.Headers.Location is { } location)
        {
            c.Response.Headers.Location = location.ToString();
        }

        c.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await c.Response.Body.WriteAsync(body, c.RequestAborted);
    }
}
