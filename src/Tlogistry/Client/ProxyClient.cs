using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Tlogistry.Registry.Tlog;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Client;

/// <summary>
/// What a tlogistry proxy publishes, read over HTTP: one tag's bundle, one image's bundles, the
/// whole export, and its trust material. Nothing read here is trusted: callers verify it.
/// Failures become <see cref="ClientException"/> with the proxy's own OCI error message.
/// </summary>
internal sealed class ProxyClient : IDisposable
{
    private const int MaxAnswer = 16 << 20;
    private readonly HttpClient _http;
    private readonly ServerCertificates _servers;

    /// <param name="servers">The HTTPS servers to believe (default: the system's roots).</param>
    public ProxyClient(Uri baseUrl, ServerCertificates? servers = null)
    {
        BaseUrl = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/");
        _servers = servers ?? ServerCertificates.System;
        _http = new HttpClient(_servers.Handler()) { Timeout = TimeSpan.FromSeconds(60), MaxResponseContentBufferSize = MaxAnswer };
    }

    public Uri BaseUrl { get; }

    /// <summary>Parses a <c>--proxy</c> value; throws <see cref="ClientException"/> unless it is an absolute http(s) URL.</summary>
    public static Uri ParseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new ClientException($"--proxy must be an absolute http(s) URL such as http://127.0.0.1:8080, got \"{text}\"");

    /// <summary>The bundle that pins <paramref name="image"/> (NAME:TAG as typed).</summary>
    public async Task<SigstoreBundle> BundleAsync(string image, CancellationToken cancellationToken)
    {
        var body = await GetAsync($"{BundleApi.BundlePath}?image={Uri.EscapeDataString(image)}", cancellationToken);
        return Parse(() => BundleJson.Read(body), "bundle");
    }

    /// <summary>Every bundle of one image's tags (NAME) or of one tag (NAME:TAG), page after page.</summary>
    public async Task<IReadOnlyList<SigstoreBundle>> ImageBundlesAsync(string image, CancellationToken cancellationToken)
    {
        var bundles = new List<SigstoreBundle>();
        for (string? page = $"{BundleApi.ExportPath}?image={Uri.EscapeDataString(image)}"; page is not null;)
        {
            var (body, next) = await GetPageAsync(page, cancellationToken);
            using var stream = new MemoryStream(body);
            try
            {
                bundles.AddRange(await BundleLines.ReadAsync(stream, cancellationToken).ToListAsync(cancellationToken));
            }
            catch (FormatException e)
            {
                throw new ClientException($"the proxy at {BaseUrl} sent a malformed bundle list: {e.Message}", e);
            }

            // Only a next page of the same listing on the same proxy is followed.
            page = next is not null && next.StartsWith(BundleApi.ExportPath + "?image=", StringComparison.Ordinal) ? next : null;
        }

        return bundles;
    }

    /// <summary>
    /// One page of a JSON listing (<paramref name="page"/>: path and query) and the next page,
    /// when the proxy names one of the same listing (<paramref name="listing"/>, its path).
    /// </summary>
    public async Task<(byte[] Body, string? Next)> ListingPageAsync(string page, string listing, CancellationToken cancellationToken)
    {
        var (body, next) = await GetPageAsync(page, cancellationToken);

        // Only a next page of the same listing on the same proxy is followed.
        return (body, next is not null && next.StartsWith(listing + "?", StringComparison.Ordinal) ? next : null);
    }

    /// <summary>Every published bundle, page after page.</summary>
    public async IAsyncEnumerable<SigstoreBundle> ExportAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var export = BundleExport.ReadAsync(new Uri(BaseUrl, BundleApi.ExportPath.TrimStart('/')).AbsoluteUri, cancellationToken, _servers);
        await using var bundles = export.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await bundles.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or FormatException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new ClientException($"cannot read the bundle export of {BaseUrl}: {e.Message}", e);
            }

            yield return bundles.Current;
        }
    }

    /// <summary>
    /// Every published append intent, page after page (<c>/tlog/intents</c>); none from a proxy
    /// that publishes none (404: older than intents).
    /// </summary>
    public async Task<IReadOnlyList<Store.AppendIntent>> IntentsAsync(CancellationToken cancellationToken)
    {
        var intents = new List<Store.AppendIntent>();
        for (string? page = IntentApi.Path; page is not null;)
        {
            byte[] body;
            string? next;
            try
            {
                (body, next) = await GetPageAsync(page, cancellationToken);
            }
            catch (ClientException e) when (e.Status == HttpStatusCode.NotFound && intents.Count == 0)
            {
                return intents;
            }

            foreach (var line in System.Text.Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                intents.Add(Parse(() => Store.AppendIntent.Parse(System.Text.Encoding.UTF8.GetBytes(line)), "intent"));
            }

            // Only a next page of the same listing on the same proxy is followed.
            page = next is not null && next.StartsWith(IntentApi.Path + "?", StringComparison.Ordinal) ? next : null;
        }

        return intents;
    }

    /// <summary>The checkpoint of the proxy's embedded log, unverified.</summary>
    public async Task<string> CheckpointAsync(CancellationToken cancellationToken) =>
        System.Text.Encoding.UTF8.GetString(await GetAsync("checkpoint", cancellationToken));

    /// <summary>The trusted root the proxy publishes (its embedded log named at this URL).</summary>
    public async Task<TrustedRoot> TrustedRootAsync(CancellationToken cancellationToken)
    {
        var body = await GetAsync(TrustApi.TrustedRootPath, cancellationToken);
        return Parse(() => TrustedRoot.Parse(body), "trusted root");
    }

    /// <summary>
    /// Every key whose sightings the instance honours (<c>/tlog/keys</c>), else, from a proxy
    /// older than that list, its one key (<c>/tlog/key.pem</c>); null when it signs keylessly.
    /// </summary>
    public async Task<IReadOnlyList<PublishedKey>?> KeysAsync(CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            body = await GetAsync(TrustApi.KeysPath, cancellationToken);
        }
        catch (ClientException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return await KeyPemAsync(cancellationToken) is { } pem
                ? [new PublishedKey(Parse(() => Signing.PublicKeyPem.Read(pem, $"the key {BaseUrl} publishes"), "key"), KeyRole.Current)]
                : null;
        }

        return Parse(() => PublishedKeys.Read(body), "list of keys");
    }

    /// <summary>Which log the proxy records sightings in; an older proxy that does not say records them in its embedded log.</summary>
    public async Task<PublishedLog> PublishedLogAsync(CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            body = await GetAsync(PublishedLog.Path, cancellationToken);
        }
        catch (ClientException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return new PublishedLog(Transparency.LogKind.Embedded, []);
        }

        return Parse(() => PublishedLog.Parse(body), "log description");
    }

    /// <summary>The instance's public key (PEM), or null when it signs keylessly.</summary>
    public async Task<string?> KeyPemAsync(CancellationToken cancellationToken)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(await GetAsync(TrustApi.KeyPath, cancellationToken));
        }
        catch (ClientException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The message of an OCI error body, as <c>": message"</c>, or nothing.</summary>
    public static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            return doc.RootElement.GetProperty("errors")[0].GetProperty("message").GetString() is { Length: > 0 } message ? ": " + message : "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or HttpRequestException)
        {
            return "";
        }
    }

    private async Task<byte[]> GetAsync(string relative, CancellationToken cancellationToken) =>
        (await GetPageAsync(relative, cancellationToken)).Body;

    /// <summary>The body, and the target of a <c>Link: rel="next"</c> header if the answer has one.</summary>
    private async Task<(byte[] Body, string? Next)> GetPageAsync(string relative, CancellationToken cancellationToken)
    {
        var url = new Uri(BaseUrl, relative.TrimStart('/'));
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(url, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ClientException($"cannot reach the proxy at {BaseUrl}: {e.Message}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var detail = await ErrorDetailAsync(response, cancellationToken);
                var answered = string.Create(CultureInfo.InvariantCulture, $"{url.PathAndQuery} answered {(int)response.StatusCode}");
                throw new ClientException(detail.Length > 0 ? $"{detail[2..]} ({answered})" : answered) { Status = response.StatusCode };
            }

            string? next = null;
            if (response.Headers.TryGetValues("Link", out var links)
                && links.FirstOrDefault(l => l.Contains("rel=\"next\"", StringComparison.Ordinal)) is { } link
                && link.IndexOf('<', StringComparison.Ordinal) is var open and >= 0
                && link.IndexOf('>', open) is var close and > 0)
            {
                next = link[(open + 1)..close];
            }

            return (await response.Content.ReadAsByteArrayAsync(cancellationToken), next);
        }
    }

    private T Parse<T>(Func<T> read, string what)
    {
        try
        {
            return read();
        }
        catch (FormatException e)
        {
            throw new ClientException($"the proxy at {BaseUrl} sent a malformed {what}: {e.Message}", e);
        }
    }
}
