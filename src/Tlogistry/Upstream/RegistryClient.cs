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
/// Talks to upstream registries: pooled connections on either side of the SSRF guard
/// (<see cref="TransportPools"/>), anonymous Bearer auth with cached tokens, and no redirect
/// following (redirects go back to the client as they are, and a token is never sent anywhere
/// but the registry that asked for it). Client credentials are never forwarded. Every exchange
/// (the request, a token round trip, the retry, and the body) runs against one
/// <see cref="ExchangeBudget"/>.
/// </summary>
internal sealed partial class RegistryClient : IDisposable
{
    /// <summary>A token answer is read up to this size; a longer one is refused.</summary>
    private const int MaxTokenResponseBytes = 64 * 1024;
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private readonly TransportPools _pools;
    private readonly UpstreamEndpoints _endpoints;
    private readonly TokenCache _tokens;
    private readonly ILogger<RegistryClient> _logger;
    private readonly TlogistryMetrics _metrics;
    private readonly ConnectGuard _guard;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan _responseTimeout;
    private readonly TimeSpan _exchangeTimeout;
    private readonly long _blobMinimumRate;

    public RegistryClient(UpstreamOptions options, UpstreamEndpoints endpoints, TokenCache tokens, ConnectGuard guard, TlogistryMetrics metrics, ILogger<RegistryClient> logger)
    {
        _endpoints = endpoints;
        _tokens = tokens;
        _guard = guard;
        _metrics = metrics;
        _idleTimeout = options.IdleTimeout;
        _responseTimeout = options.ResponseTimeout;
        _exchangeTimeout = options.ExchangeTimeout;
        _blobMinimumRate = options.BlobMinimumRate;
        _logger = logger;
        _pools = new TransportPools(options);
    }

    /// <summary>The URL a repository path resolves to upstream, e.g. for recording where a manifest came from.</summary>
    public Uri UrlFor(ImageName name, string suffix) =>
        new(_endpoints.BaseFor(name).AbsoluteUri.TrimEnd('/') + "/v2/" + name.Repository + "/" + suffix);

    /// <summary>
    /// Sends a request for <c>/v2/&lt;repository&gt;/&lt;suffix&gt;</c>, answering a Bearer
    /// challenge once. Headers are read, the body is not: the caller owns the exchange.
    /// </summary>
    public async Task<UpstreamExchange> SendAsync(ImageName name, HttpMethod method, string suffix, Action<HttpRequestMessage>? configure, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var url = UrlFor(name, suffix);
        var operation = OperationOf(suffix);

        // One trust decision per exchange, from the registry's one name (never from the URL's
        // authority): its token realm travels on the same side of the guard, so a client-named
        // registry cannot name a private realm.
        var destination = _guard.IsExemptUnsafe(name.Registry) ? Destination.ExemptUnsafe : Destination.Guarded;

        // A blob may be gigabytes: it keeps streaming while it keeps a minimum average rate.
        var budget = operation == "blob" ? new ExchangeBudget(_exchangeTimeout, _blobMinimumRate) : ExchangeBudget.Fixed(_exchangeTimeout);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_exchangeTimeout);
        var exchange = new Exchange(destination, budget, started, deadline.Token, cancellationToken);

        var tokenKey = name.Registry + " repository:" + name.Repository + ":pull";
        var response = await SendOnceAsync(url, name, method, configure, _tokens.Get(tokenKey), operation, exchange);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            var header = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
            if (WwwAuthenticate.TryGetBearer(header, out var challenge))
            {
                response.Dispose();
                _tokens.Remove(tokenKey);
                var token = await FetchTokenAsync(name, challenge, exchange);
                _tokens.Put(tokenKey, token.Token, token.Lifetime);
                response = await SendOnceAsync(url, name, method, configure, token.Token, operation, exchange);
            }
        }

        return new UpstreamExchange(response, _idleTimeout, budget, started);
    }

    /// <summary>The upstream latency label of a request for <c>/v2/&lt;repository&gt;/&lt;suffix&gt;</c>.</summary>
    private static string OperationOf(string suffix) =>
        suffix.StartsWith("manifests/", StringComparison.Ordinal) ? "manifest"
        : suffix.StartsWith("blobs/", StringComparison.Ordinal) ? "blob"
        : suffix.StartsWith("tags/", StringComparison.Ordinal) ? "tags"
        : suffix.StartsWith("referrers/", StringComparison.Ordinal) ? "referrers"
        : "other";

    public void Dispose() => _pools.Dispose();

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

    private async Task<HttpResponseMessage> SendOnceAsync(Uri url, ImageName name, HttpMethod method, Action<HttpRequestMessage>? configure, string? token, string operation, Exchange exchange)
    {
        using var request = new HttpRequestMessage(method, url);
        configure?.Invoke(request);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        // Named by the registry the client asked for: a mapping's address may be internal.
        return await SendMappedAsync(request, $"upstream {name.Registry}", operation, exchange);
    }

    /// <summary>
    /// Sends with headers read only, on the exchange's side of the guard, turning transport
    /// failures into what the client sees: a destination the guard refused is 403 DENIED, a
    /// spent exchange deadline or anything else 502 naming <paramref name="what"/>. The time to
    /// headers, failures included, is the upstream latency of <paramref name="operation"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendMappedAsync(HttpRequestMessage request, string what, string operation, Exchange exchange)
    {
        var start = Stopwatch.GetTimestamp();
        var cancellationToken = exchange.Caller;
        try
        {
            return await _pools.For(exchange.Destination).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, exchange.Deadline);
        }
        catch (HttpRequestException e) when (Refused(e) is { } refused)
        {
            throw new UpstreamException(403, new OciError(OciErrorCodes.Denied, $"{what}: {refused.Message}"), null, e);
        }
        catch (HttpRequestException e) when (exchange.Destination == Destination.ExemptUnsafe)
        {
            // The transport's message names the address connected to, which the operator chose
            // and may be internal: the client gets a reference, the log the detail.
            var incident = Http.Incident.New();
            Log.ConfiguredUpstreamFailed(_logger, incident.Reference, request.RequestUri?.ToString() ?? "", e);
            throw new UpstreamException(incident.Tell($"request to {what} failed"), e);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException($"request to {what} failed: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested && exchange.Deadline.IsCancellationRequested)
        {
            throw new UpstreamException($"{what} took longer than {exchange.Budget.Describe()}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UpstreamException($"{what} did not answer within {_responseTimeout.TotalSeconds:0} s", e);
        }
        finally
        {
            _metrics.UpstreamCall(operation, start);
        }
    }

    /// <summary>The anonymous token flow of the Docker token specification.</summary>
    private async Task<(string Token, TimeSpan Lifetime)> FetchTokenAsync(ImageName name, BearerChallenge challenge, Exchange exchange)
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
        var tokenService = exchange.Destination == Destination.ExemptUnsafe ? $"the token service of {name.Registry}" : $"the token service {realm.Authority} for {name.Registry}";
        var response = await SendMappedAsync(request, tokenService, "token", exchange);
        using (var answer = new UpstreamExchange(response, _idleTimeout, exchange.Budget, exchange.Started))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new UpstreamException($"token service {realm.Authority} answered {(int)response.StatusCode} for an anonymous pull token of {name.Repository}");
            }

            byte[]? body;
            try
            {
                body = await answer.ReadBodyAsync(MaxTokenResponseBytes, exchange.Caller);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new UpstreamException($"reading the token from {realm.Authority} failed: {e.Message}", e);
            }

            if (body is null)
            {
                throw new UpstreamException($"token service {realm.Authority} sent a response over {MaxTokenResponseBytes / 1024} KiB");
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

            if (token.Length > TokenCache.MaxTokenLength)
            {
                throw new UpstreamException($"token service {authority} sent a token of {token.Length} characters, over the {TokenCache.MaxTokenLength / 1024} KiB limit; nothing was cached");
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

    /// <summary>What every round trip of one exchange shares: its side of the guard, its budget and its deadline.</summary>
    private sealed record Exchange(Destination Destination, ExchangeBudget Budget, long Started, CancellationToken Deadline, CancellationToken Caller);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Upstream.ConfiguredUpstreamFailed, Level = LogLevel.Warning, Message = "upstream request failed (reference {Reference}): {Url}")]
        public static partial void ConfiguredUpstreamFailed(ILogger logger, string reference, string url, Exception exception);

        [LoggerMessage(EventId = EventIds.Upstream.FetchingToken, Level = LogLevel.Debug, Message = "fetching an anonymous pull token from {Authority} for {Registry}")]
        public static partial void FetchingToken(ILogger logger, string authority, string registry);
    }
}
