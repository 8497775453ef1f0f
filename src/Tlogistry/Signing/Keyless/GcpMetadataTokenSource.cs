using Microsoft.Extensions.Logging;
using Tlogistry.Http;

namespace Tlogistry.Signing.Keyless;

/// <summary>
/// The identity token of the instance's default service account from the GCP metadata server
/// (Compute Engine, Cloud Run, GKE with workload identity), audience <c>sigstore</c>, full format
/// so that it carries the service account's email.
/// </summary>
internal sealed class GcpMetadataTokenSource : IIdentityTokenSource
{
    public static readonly Uri DefaultBaseUrl = new("http://metadata.google.internal/");

    private const string IdentityPath = "computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full";

    private readonly JsonHttp _http;
    private readonly Uri _url;

    public GcpMetadataTokenSource(HttpClient http, Uri? baseUrl = null, JsonHttpOptions? options = null, ILogger? logger = null)
    {
        _http = new JsonHttp(http, options ?? JsonHttpOptions.ForKeyless(TimeSpan.FromSeconds(10)), logger);
        _url = new Uri(new Uri((baseUrl ?? DefaultBaseUrl).AbsoluteUri.TrimEnd('/') + "/"), IdentityPath);
    }

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        HttpAnswer answer;
        try
        {
            // The identity endpoint answers the bare token, not JSON.
            answer = await _http.SendForAnswerAsync(
                HttpMethod.Get,
                _url,
                null,
                _http.Options.MaxResponseBytes,
                static headers =>
                {
                    headers.Accept.Clear();
                    headers.Add("Metadata-Flavor", "Google");
                },
                cancellationToken);
        }
        catch (HttpTransportException e)
        {
            throw new IdentityTokenException($"GCP metadata server unreachable: {e.Message}", e);
        }

        if (!answer.IsSuccess)
        {
            throw new IdentityTokenException($"GCP metadata server answered {(int)answer.Status} {answer.Status}: {answer.Excerpt()}");
        }

        var token = System.Text.Encoding.UTF8.GetString(answer.Body).Trim();
        return token.Length > 0 ? token : throw new IdentityTokenException("GCP metadata server answered an empty identity token");
    }
}
