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

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly KeylessHttpOptions _options;

    public GcpMetadataTokenSource(HttpClient http, Uri? baseUrl = null, KeylessHttpOptions? options = null)
    {
        _http = http;
        _url = new Uri(new Uri((baseUrl ?? DefaultBaseUrl).AbsoluteUri.TrimEnd('/') + "/"), IdentityPath);
        _options = options ?? new KeylessHttpOptions { RequestTimeout = TimeSpan.FromSeconds(10) };
    }

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        KeylessAnswer answer;
        try
        {
            answer = await KeylessHttp.SendAsync(
                _http,
                () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, _url);
                    request.Headers.Add("Metadata-Flavor", "Google");
                    return request;
                },
                _options,
                cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
        {
            throw new IdentityTokenException($"GCP metadata server unreachable at {_url}: {e.Message}", e);
        }

        if (!answer.IsSuccess)
        {
            throw new IdentityTokenException($"GCP metadata server answered {(int)answer.Status} {answer.Status}: {answer.Excerpt()}");
        }

        var token = System.Text.Encoding.UTF8.GetString(answer.Body).Trim();
        return token.Length > 0 ? token : throw new IdentityTokenException("GCP metadata server answered an empty identity token");
    }
}
