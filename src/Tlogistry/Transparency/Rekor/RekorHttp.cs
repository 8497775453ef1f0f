using Microsoft.Extensions.Logging;
using Tlogistry.Http;

namespace Tlogistry.Transparency.Rekor;

/// <summary>
/// What both Rekor clients share: the log's base URL and the <see cref="JsonHttp"/> transport,
/// whose final failures (no answer, network error, oversized answer, 5xx or 429 after the
/// retries) become <see cref="LogUnavailableException"/>, which the ledger turns into a 503.
/// </summary>
internal sealed class RekorHttp
{
    /// <summary>Longest a readiness probe waits: readiness answers within seconds, whatever the log does.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private readonly JsonHttp _http;
    private readonly JsonHttp _probe;

    public RekorHttp(Uri baseUrl, HttpClient http, JsonHttpOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);

        // Relative paths resolve under the base, so a log served below a path prefix works too.
        BaseUrl = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/");
        _http = new JsonHttp(http, options, logger);
        _probe = new JsonHttp(
            http,
            new JsonHttpOptions
            {
                MaxAttempts = 1,
                RequestTimeout = options.RequestTimeout < ProbeTimeout ? options.RequestTimeout : ProbeTimeout,
                MaxResponseBytes = options.MaxResponseBytes,
            },
            logger);
    }

    public Uri BaseUrl { get; }

    public int MaxResponseBytes => _http.Options.MaxResponseBytes;

    public Task<HttpAnswer> GetAsync(string relative, int maxBytes, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, relative, null, maxBytes, cancellationToken);

    public Task<HttpAnswer> PostJsonAsync(string relative, byte[] json, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, relative, json, MaxResponseBytes, cancellationToken);

    /// <summary>One GET without retries under <see cref="ProbeTimeout"/>; anything but 200 is unavailable.</summary>
    public async Task ProbeAsync(string relative, CancellationToken cancellationToken)
    {
        var url = new Uri(BaseUrl, relative);
        HttpAnswer answer;
        try
        {
            answer = await _probe.SendAsync(HttpMethod.Get, url, null, MaxResponseBytes, null, cancellationToken);
        }
        catch (HttpTransportException e)
        {
            throw new LogUnavailableException("log unavailable: " + e.Message, e);
        }

        if (answer.Status != System.Net.HttpStatusCode.OK)
        {
            throw new LogUnavailableException($"log unavailable: GET {url} answered {(int)answer.Status} {answer.Status}{answer.Detail()}");
        }
    }

    private async Task<HttpAnswer> SendAsync(HttpMethod method, string relative, byte[]? json, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(method, new Uri(BaseUrl, relative), json, maxBytes, null, cancellationToken);
        }
        catch (HttpTransportException e)
        {
            throw new LogUnavailableException("log unavailable: " + e.Message, e);
        }
    }
}
