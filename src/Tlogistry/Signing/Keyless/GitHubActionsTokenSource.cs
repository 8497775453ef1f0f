using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;

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

    private readonly JsonHttp _http;
    private readonly Func<string, string?> _environment;

    public GitHubActionsTokenSource(HttpClient http, Func<string, string?>? environment = null, JsonHttpOptions? options = null, ILogger? logger = null)
    {
        _http = new JsonHttp(http, options ?? JsonHttpOptions.ForKeyless(TimeSpan.FromSeconds(10)), logger);
        _environment = environment ?? Environment.GetEnvironmentVariable;
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

        HttpAnswer answer;
        try
        {
            answer = await _http.SendForAnswerAsync(
                HttpMethod.Get,
                url,
                null,
                _http.Options.MaxResponseBytes,
                headers => headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer),
                cancellationToken);
        }
        catch (HttpTransportException e)
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
