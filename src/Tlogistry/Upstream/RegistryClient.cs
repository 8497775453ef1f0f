using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Telemetry;
using Tlogistry.Upstream.Auth;
using Tlogistry.Upstream.Guard;

namespace Tlogistry.Upstream;

/// <summary>
/// Talks to upstream registries: one pooled HttpClient, anonymous Bearer auth with cached
/// tokens, and no redirect following (redirects go back to the client as they are, and a
/// token is never sent anywhere but the registry that asked for it). Client credentials
/// are never forwarded.
/// </summary>
internal sealed partial class RegistryClient : IDisposable
{
    private const int MaxTokenResponseBytes = 1 << 20;
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http;
    private readonly UpstreamEndpoints _endpoints;
    private readonly TokenCache _tokens;
    private readonly ILogger<RegistryClient> _logger;
    private readonly TlogistryMetrics _metrics;

    private readonly ConnectGuard _guard;

    public RegistryClient(UpstreamOptions options, UpstreamEndpoints endpoints, TokenCache tokens, ConnectGuard guard, TlogistryMetrics metrics, ILogger<RegistryClient> logger)
    {
        _endpoints = endpoints;
        _tokens = tokens;
        _guard = guard;
        _metrics = metrics;
        IdleTimeout = options.IdleTimeout;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectGuard.ConnectAsync,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 64,

            // Spans are made for upstream calls when tracing is on, but no trace context is
            // sent: a client's traceparent is as much its own as its Authorization header.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        _http = new HttpClient(handler) { Timeout = options.ResponseTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("tlogistry/1.0");
    }

    /// <summary>Longest pause allowed between two chunks of an upstream body.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>The URL a repository path resolves to upstream, e.g. for recording where a manifest came from.</summary>
    public Uri UrlFor(ImageName name, string suffix) =>
        new(_endpoints.BaseFor(name).AbsoluteUri.TrimEnd('/') + "/v2/" + name.Repository + "/" + suffix);

    /// <summary>
    /// Sends a request for <c>/v2/&lt;repository&gt;/&lt;suffix&gt;</c>, answering a Bearer
    /// challenge once. Headers are read, the body is not: the caller owns the response.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(ImageName name, HttpMethod method, string suffix, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        var url = UrlFor(name, suffix);
        var tokenKey = name.Registry + " repository:" + name.Repository + ":pull";
        var operation = OperationOf(suffix);
        var trusted = _guard.IsTrusted(name.Registry);
        var response = await SendOnceAsync(url, method, configure, _tokens.Get(tokenKey), trusted, operation, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var header = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        if (!WwwAuthenticate.TryGetBearer(header, out var challenge))
        {
            return response;
        }

        response.Dispose();
        _tokens.Remove(tokenKey);
        var token = await FetchTokenAsync(name, challenge, trusted, cancellationToken);
        _tokens.Put(tokenKey, token.Token, token.Lifetime);
        return await SendOnceAsync(url, method, configure, token.Token, trusted, operation, cancellationToken);
    }

    /// <summary>The upstream latency label of a request for <c>/v2/&lt;repository&gt;/&lt;suffix&gt;</c>.</summary>
    private static string OperationOf(string suffix) =>
        suffix.StartsWith("manifests/", StringComparison.Ordinal) ? "manifest"
        : suffix.StartsWith("blobs/", StringComparison.Ordinal) ? "blob"
        : suffix.StartsWith("tags/", StringComparison.Ordinal) ? "tags"
        : suffix.StartsWith("referrers/", StringComparison.Ordinal) ? "referrers"
        : "other";

    public void Dispose() => _http.Dispose();

    private static RefusedDestinationException? Refused(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is RefusedDestinationException r)
            {
                return r;
            }
        }

        return null;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(Uri url, HttpMethod method, Action<HttpRequestMessage>? configure, string? token, bool trusted, string operation, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        configure?.Invoke(request);
        request.Options.Set(ConnectGuard.TrustedDestination, trusted);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await SendMappedAsync(request, $"upstream {url.Authority}", operation, cancellationToken);
    }

    /// <summary>
    /// Sends with headers read only, turning transport failures into what the client sees:
    /// a destination the guard refused is 403 DENIED, anything else 502 naming <paramref name="what"/>.
    /// The time to headers, failures included, is the upstream latency of <paramref name="operation"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendMappedAsync(HttpRequestMessage request, string what, string operation, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (Refused(e) is { } refused)
        {
            throw new UpstreamException(403, new OciError(OciErrorCodes.Denied, $"{what}: {refused.Message}"), null, e);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"request to {what} failed: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException($"{what} did not answer within {_http.Timeout.TotalSeconds:0} s", e);
        }
        finally
        {
            _metrics.UpstreamCall(operation, start);
        }
    }

    /// <summary>The anonymous token flow of the Docker token specification.</summary>
    private async Task<(string Token, TimeSpan Lifetime)> FetchTokenAsync(ImageName name, BearerChallenge challenge, bool trustedIssuer, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(challenge.Service))
        {
            query.Add("service=" + Uri.EscapeDataString(challenge.Service));
        }

        query.Add("scope=" + Uri.EscapeDataString("repository:" + name.Repository + ":pull"));
        var realm = challenge.Realm;
        var tokenUrl = new Uri(realm + (realm.Query.Length > 0 ? "&" : "?") + string.Join('&', query));
        Log.FetchingToken(_logger, realm.Authority, name.Registry.Value);

        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUrl);

        // A realm named by a registry the operator configured may be as private as that registry.
        request.Options.Set(ConnectGuard.TrustedDestination, trustedIssuer);
        var response = await SendMappedAsync(request, $"the token service {realm.Authority} for {name.Registry}", "token", cancellationToken);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamException($"token service {realm.Authority} answered {(int)response.StatusCode} for an anonymous pull token of {name.Repository}");
            }

            byte[]? body;
            try
            {
                body = await BoundedBody.ReadAsync(response.Content, MaxTokenResponseBytes, IdleTimeout, cancellationToken);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new UpstreamException($"reading the token from {realm.Authority} failed: {e.Message}", e);
            }

            if (body is null)
            {
                throw new UpstreamException($"token service {realm.Authority} sent a response over {MaxTokenResponseBytes} bytes");
            }

            return ParseToken(body, realm.Authority);
        }
    }

    private static (string Token, TimeSpan Lifetime) ParseToken(byte[] body, string authority)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? token = null;
            if (root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String)
            {
                token = t.GetString();
            }

            if (string.IsNullOrEmpty(token) && root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String)
            {
                token = a.GetString();
            }

            if (string.IsNullOrEmpty(token) || token.Any(char.IsControl))
            {
                throw new JsonException("no token or access_token");
            }

            var lifetime = DefaultTokenLifetime;
            if (root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var secs) && secs > 0)
            {
                lifetime = TimeSpan.FromSeconds(Math.Min(secs, 24 * 3600));
            }

            return (token, lifetime);
        }
        catch (JsonException e)
        {
            throw new UpstreamException($"token service {authority} sent an unusable token response: {e.Message}", e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "fetching an anonymous pull token from {Authority} for {Registry}")]
        public static partial void FetchingToken(ILogger logger, string authority, string registry);
    }
}
