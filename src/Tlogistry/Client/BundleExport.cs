using System.Runtime.CompilerServices;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Client;

/// <summary>
/// Reads a bundle export: a file of JSON lines, or a URL (a proxy's <c>/tlog/bundles</c>) whose
/// pages are followed through <c>Link: rel="next"</c>. Nothing read here is verified.
/// </summary>
internal static class BundleExport
{
    public static async IAsyncEnumerable<SigstoreBundle> ReadAsync(string from, [EnumeratorCancellation] CancellationToken cancellationToken, ServerCertificates? servers = null)
    {
        if (!Uri.TryCreate(from, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            await using var file = File.OpenRead(from);
            await foreach (var bundle in BundleLines.ReadAsync(file, cancellationToken))
            {
                yield return bundle;
            }

            yield break;
        }

        using var http = new HttpClient((servers ?? ServerCertificates.System).Handler()) { Timeout = TimeSpan.FromSeconds(60) };
        var visited = new HashSet<string>(StringComparer.Ordinal) { url.AbsoluteUri };
        for (Uri? page = url; page is not null;)
        {
            using var response = await http.GetAsync(page, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{page} answered {(int)response.StatusCode} {response.ReasonPhrase}{await ProxyClient.ErrorDetailAsync(response, cancellationToken)}");
            }

            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                await foreach (var bundle in BundleLines.ReadAsync(body, cancellationToken))
                {
                    yield return bundle;
                }
            }

            page = NextPage(page, response);
            if (page is not null && !visited.Add(page.AbsoluteUri))
            {
                // A listing whose next pages go round in a circle is refused, not followed without end.
                throw new HttpRequestException($"{page} was sent as a next page before: the listing goes round in a circle");
            }
        }
    }

    private static Uri? NextPage(Uri current, HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links)
        {
            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open >= 0 && close > open && link.Contains("rel=\"next\"", StringComparison.Ordinal))
            {
                return new Uri(current, link[(open + 1)..close]);
            }
        }

        return null;
    }
}
