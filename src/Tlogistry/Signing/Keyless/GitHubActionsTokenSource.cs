using System.Net.Http.Headers;
using System.Text.Json;

namespace Tlogistry.Signing.Keyless;

/// <summary>
/// The workflow's OIDC token inside GitHub Actions (the job needs <c>permissions: id-token: write</c>):
/// GET <c>$ACTIONS_ID_TOKEN_REQUEST_URL&amp;audience=sigstore</c> with the bearer
/// <c>$ACTIONS_ID_TOKEN_REQUEST_TOKEN</c>, answered by <c>{"value":"&lt;jwt&gt;"}</c>.
/// </summary>
internal sealed class GitHubActionsTokenSource : IIdentityTokenSource
{
    public const string UrlVariable = "ACTIONS_ID_TOKEN_REQUEST_URL";
    public const string TokenVariable = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

    private readonly HttpClient _http;
    private readonly Func<string, string?> _environment;
    private readonly KeylessHttpOptions _options;

    public GitHubActionsTokenSource(HttpClient http, Func<string, string?>? environment = null, KeylessHttpOptions? options = null)
    {
        _http = http;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _options = options ?? new KeylessHttpOptions { RequestTimeout = TimeSpan.FromSeconds(10) };
    }

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var baseUrl = _environment(UrlVariable);
        var bearer = _environment(TokenVariable);
        if (string.IsNullOrEmpty(baseUrl) || string.IsNullOrEmpty(bearer))
        {
            throw new IdentityTokenException($"{UrlVariable} and {TokenVariable} are not set: not in GitHub Actions, or the job lacks permissions: id-token: write");
        }

        if (!Uri.TryCreate(baseUrl + (baseUrl.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "audience=sigstore", UriKind.Absolute, out var url))
        {
            throw new IdentityTokenException($"{UrlVariable} is not an absolute URL");
        }

        KeylessAnswer answer;
        try
        {
            answer = await KeylessHttp.SendAsync(
                _http,
                () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, url);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                    request.Headers.Accept.ParseAdd("application/json");
                    return request;
                },
                _options,
                cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
        {
            throw new IdentityTokenException($"GitHub Actions token endpoint unreachable: {e.Message}", e);
        }

        if (!answer.IsSuccess)
        {
            throw new IdentityTokenException($"GitHub Actions token endpoint answered {(int)answer.Status} {answer.Status}: {answer.Excerpt()}");
        }

        try
        {
            using var doc = JsonDocument.Parse(answer.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("value", out var value)
                && value.ValueKind == JsonValueKind.String
                && value.GetString() is { Length: > 0 } token)
            {
                return token;
            }
        }
        catch (JsonException)
        {
        }

        throw new IdentityTokenException("GitHub Actions token endpoint answered without a \"value\" string");
    }
}
