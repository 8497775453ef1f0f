using System.Text;
using Microsoft.AspNetCore.Http;
using Tlogistry.Signing.Keyless;

namespace Tlogistry.Tests.Keyless;

public sealed class TokenSourceTests
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task GcpAsksTheMetadataServerForAFullSigstoreToken()
    {
        string? seen = null;
        var (app, url) = await LoopbackApp.StartAsync(async c =>
        {
            seen = c.Request.Path + c.Request.QueryString;
            if (c.Request.Headers["Metadata-Flavor"] != "Google")
            {
                c.Response.StatusCode = 403;
                return;
            }

            await c.Response.WriteAsync("gcp.token.value\n");
        });
        try
        {
            var token = await new GcpMetadataTokenSource(Http, url).GetTokenAsync(TestContext.Current.CancellationToken);
            Assert.Equal("gcp.token.value", token);
            Assert.Equal("/computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full", seen);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task GcpFailureNamesTheStatus()
    {
        var (app, url) = await LoopbackApp.StartAsync(c =>
        {
            c.Response.StatusCode = 404;
            return c.Response.WriteAsync("no such service account");
        });
        try
        {
            var e = await Assert.ThrowsAsync<IdentityTokenException>(() => new GcpMetadataTokenSource(Http, url).GetTokenAsync(TestContext.Current.CancellationToken));
            Assert.Contains("404", e.Message, StringComparison.Ordinal);
            Assert.Contains("no such service account", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task GitHubActionsAddsTheAudienceAndPresentsTheBearer()
    {
        string? query = null;
        string? auth = null;
        var (app, url) = await LoopbackApp.StartAsync(async c =>
        {
            query = c.Request.QueryString.Value;
            auth = c.Request.Headers.Authorization;
            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync("{\"count\":1,\"value\":\"gh.token.value\"}");
        });
        try
        {
            var env = new Dictionary<string, string>
            {
                [GitHubActionsTokenSource.UrlVariable] = new Uri(url, "_apis/token?api-version=2.0").AbsoluteUri,
                [GitHubActionsTokenSource.TokenVariable] = "request-secret",
            };
            var source = new GitHubActionsTokenSource(Http, n => env.GetValueOrDefault(n));
            Assert.Equal("gh.token.value", await source.GetTokenAsync(TestContext.Current.CancellationToken));
            Assert.Equal("?api-version=2.0&audience=sigstore", query);
            Assert.Equal("Bearer request-secret", auth);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task GitHubActionsOutsideAWorkflowSaysWhatIsMissing()
    {
        var source = new GitHubActionsTokenSource(Http, _ => null);
        var e = await Assert.ThrowsAsync<IdentityTokenException>(() => source.GetTokenAsync(TestContext.Current.CancellationToken));
        Assert.Contains("id-token: write", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileIsReadAgainAfterItChanges()
    {
        using var dir = new TempDirectory("tlogistry-token-");
        var path = Path.Combine(dir.Path, "token");
        await File.WriteAllTextAsync(path, "first.token.value\n", TestContext.Current.CancellationToken);
        var source = new FileTokenSource(path);
        Assert.Equal("first.token.value", await source.GetTokenAsync(TestContext.Current.CancellationToken));

        await File.WriteAllTextAsync(path, "second.token.value", TestContext.Current.CancellationToken);
        Assert.Equal("second.token.value", await source.GetTokenAsync(TestContext.Current.CancellationToken));

        File.Delete(path);
        await Assert.ThrowsAsync<IdentityTokenException>(() => source.GetTokenAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task EnvironmentVariableIsReadOnEachCall()
    {
        var env = new Dictionary<string, string> { ["SIGSTORE_ID_TOKEN"] = "env.token.value" };
        var source = new EnvironmentTokenSource("SIGSTORE_ID_TOKEN", n => env.GetValueOrDefault(n));
        Assert.Equal("env.token.value", await source.GetTokenAsync(TestContext.Current.CancellationToken));
        env["SIGSTORE_ID_TOKEN"] = "";
        await Assert.ThrowsAsync<IdentityTokenException>(() => source.GetTokenAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("gcp", "Gcp", null)]
    [InlineData(" GCP ", "Gcp", null)]
    [InlineData("github-actions", "GitHubActions", null)]
    [InlineData("file=/var/run/secrets/tokens/sigstore", "File", "/var/run/secrets/tokens/sigstore")]
    [InlineData("file=C:\\a=b", "File", "C:\\a=b")]
    [InlineData("env=SIGSTORE_ID_TOKEN", "Environment", "SIGSTORE_ID_TOKEN")]
    public void SettingsParse(string setting, string kind, string? argument)
    {
        Assert.Equal(new TokenSourceSetting(Enum.Parse<TokenSourceKind>(kind), argument), TokenSourceSetting.Parse(setting));
    }

    [Theory]
    [InlineData("")]
    [InlineData("file")]
    [InlineData("file=")]
    [InlineData("env=")]
    [InlineData("gcp=x")]
    [InlineData("oidc")]
    public void BadSettingsAreRefused(string setting)
    {
        var e = Assert.Throws<FormatException>(() => TokenSourceSetting.Parse(setting));
        Assert.Contains(TokenSourceSetting.Syntax, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JwtClaimsAreReadAndTheProofSubjectFollowsFulcio()
    {
        var exp = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var email = JwtClaims.Parse(TestJwt.Mint("https://accounts.google.com", "1234567890", "sa@p.iam.gserviceaccount.com", exp));
        Assert.Equal(("https://accounts.google.com", "1234567890", "sa@p.iam.gserviceaccount.com", exp), (email.Issuer, email.Subject, email.Email, email.Expires));
        Assert.Equal(["sigstore"], email.Audiences);
        Assert.Equal("sa@p.iam.gserviceaccount.com", email.ProofSubject);

        var workflow = JwtClaims.Parse(TestJwt.Mint("https://token.actions.githubusercontent.com", "repo:org/app:ref:refs/heads/main"));
        Assert.Null(workflow.Email);
        Assert.Equal("repo:org/app:ref:refs/heads/main", workflow.ProofSubject);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("a.!!!.c")]
    [InlineData("a.bm90IGpzb24.c")]
    [InlineData("a.e30.c")]
    public void MalformedJwtsAreRefused(string token)
    {
        Assert.Throws<FormatException>(() => JwtClaims.Parse(token));
    }

    [Fact]
    public void JwtPayloadWithoutPaddingDecodes()
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"iss\":\"i\",\"sub\":\"s?\"}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal("s?", JwtClaims.Parse("h." + payload + ".s").Subject);
    }

    [Fact]
    public async Task ATokenFileOtherUsersMayReadIsUsedButWarnedAboutOnceWithoutTheToken()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
        }

        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "token");
        var token = TestJwt.Mint("https://issuer.example", "s", "alice@example.com");
        await File.WriteAllTextAsync(path, token, TestContext.Current.CancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var logger = new ListLogger();
        var source = new FileTokenSource(path, logger);

        Assert.Equal(token, await source.GetTokenAsync(TestContext.Current.CancellationToken));
        Assert.Equal(token, await source.GetTokenAsync(TestContext.Current.CancellationToken));
        var warning = Assert.Single(logger.Lines);
        Assert.Contains(path, warning, StringComparison.Ordinal);
        Assert.Contains("other users may read", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], warning, StringComparison.Ordinal);

        Assert.Null(FileTokenSource.Exposure(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
        Assert.NotNull(FileTokenSource.Exposure(UnixFileMode.UserRead | UnixFileMode.OtherWrite));
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
