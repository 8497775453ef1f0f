using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>Which field of the token response carries the JWT (both are allowed by the spec).</summary>
public enum TokenField
{
    Token,
    AccessToken,
    Both,
}

/// <summary>How the issuer misbehaves, for fault tests.</summary>
public enum TokenIssuerFault
{
    None,

    /// <summary>Answers 500 with a plain-text body.</summary>
    ServerError,

    /// <summary>Answers 200 with a body that is not JSON.</summary>
    Garbage,
}

/// <summary>One <c>access</c> entry of a token's claims.</summary>
public sealed record TokenAccess(string Type, string Name, IReadOnlyList<string> Actions);

/// <summary>A request the issuer received, as tests assert on it.</summary>
public sealed record TokenRequest(
    string? Service,
    IReadOnlyList<string> Scopes,
    string? Account,
    string? Authorization,
    bool Authenticated);

/// <summary>
/// A Docker token-auth issuer (distribution.github.io/distribution/spec/auth/token/) on Kestrel.
/// Anonymous requests get pull on the requested repositories; Basic credentials matching
/// <see cref="Username"/>/<see cref="Password"/> get every requested action (so skopeo can push
/// with --dest-creds); other credentials get 401. Tokens are ES256 JWTs whose x5c header holds a
/// self-signed certificate that is also written to <see cref="RootCertBundlePath"/> for the registry.
/// </summary>
public sealed class TokenIssuer : IAsyncDisposable
{
    public const string DefaultService = "tlogistry-test-registry";
    public const string DefaultIssuer = "tlogistry-test-issuer";

    private static readonly string[] AuthenticatedActions = ["pull", "push", "delete", "*"];
    private static readonly string[] AnonymousActions = ["pull"];

    private readonly object _gate = new();
    private readonly ConcurrentQueue<TokenRequest> _requests = new();
    private readonly ECDsa _key;
    private readonly X509Certificate2 _certificate;
    private readonly TempDirectory _dir;
    private WebApplication? _app;
    private TokenField _tokenField = TokenField.Token;
    private int? _expiresIn = 300;
    private TokenIssuerFault _fault;
    private int _issued;

    private TokenIssuer(string service, string issuer)
    {
        Service = service;
        Issuer = issuer;
        _dir = new TempDirectory("tlogistry-issuer-");
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={issuer}", _key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        _certificate = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
        RootCertBundlePath = _dir.Combine("root.pem");
        File.WriteAllText(RootCertBundlePath, _certificate.ExportCertificatePem());
    }

    /// <summary>http://127.0.0.1:port/token</summary>
    public Uri Realm { get; private set; } = null!;

    public string Service { get; }

    public string Issuer { get; }

    /// <summary>PEM of the signing certificate, for the registry's <c>rootcertbundle</c>.</summary>
    public string RootCertBundlePath { get; }

    public string Username { get; } = "admin";

    public string Password { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    /// <summary><c>--creds</c>/<c>--dest-creds</c> value for skopeo and podman.</summary>
    public string Credentials => $"{Username}:{Password}";

    public RegistryTokenAuth RegistryAuth => new(Realm, Service, Issuer, RootCertBundlePath);

    public TokenField TokenField
    {
        get { lock (_gate) { return _tokenField; } }
        set { lock (_gate) { _tokenField = value; } }
    }

    /// <summary>The <c>expires_in</c> value, or null to leave the field out (clients then assume 60 s).</summary>
    public int? ExpiresIn
    {
        get { lock (_gate) { return _expiresIn; } }
        set { lock (_gate) { _expiresIn = value; } }
    }

    public TokenIssuerFault Fault
    {
        get { lock (_gate) { return _fault; } }
        set { lock (_gate) { _fault = value; } }
    }

    /// <summary>Tokens handed out over HTTP (not those from <see cref="CreateToken"/>).</summary>
    public int IssuedCount => Volatile.Read(ref _issued);

    /// <summary>Every /token request received, in arrival order.</summary>
    public IReadOnlyList<TokenRequest> Requests => [.. _requests];

    public static async Task<TokenIssuer> StartAsync(
        string service = DefaultService,
        string issuer = DefaultIssuer,
        CancellationToken cancellationToken = default)
    {
        var tokenIssuer = new TokenIssuer(service, issuer);
        try
        {
            // The empty builder reads no appsettings or ASPNETCORE_* variables and logs nothing.
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(tokenIssuer.HandleAsync);
            tokenIssuer._app = app;
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features
                .GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            tokenIssuer.Realm = new Uri(new Uri(address), "/token");
            return tokenIssuer;
        }
        catch
        {
            await tokenIssuer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Signs a token as the HTTP endpoint would; tests use it for expired or odd tokens.</summary>
    public string CreateToken(string subject, IEnumerable<TokenAccess> access, TimeSpan? lifetime = null)
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject
        {
            ["typ"] = "JWT",
            ["alg"] = "ES256",
            ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)),
        };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["aud"] = Service,
            ["exp"] = (now + (lifetime ?? TimeSpan.FromMinutes(5))).ToUnixTimeSeconds(),
            ["nbf"] = now.AddSeconds(-5).ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["jti"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["access"] = new JsonArray([.. access.Select(a => new JsonObject
            {
                ["type"] = a.Type,
                ["name"] = a.Name,
                ["actions"] = new JsonArray([.. a.Actions.Select(x => (JsonNode?)x)]),
            })]),
        };
        var signingInput = $"{Base64Url(header.ToJsonString())}.{Base64Url(claims.ToJsonString())}";
        // .NET signs ECDSA as IEEE P1363 (r || s), which is exactly JWS ES256.
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _app.StopAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await _app.DisposeAsync();
        }

        _certificate.Dispose();
        _key.Dispose();
        _dir.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path != "/token")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var query = context.Request.Query;
        // The spec allows several scope parameters and several space-separated scopes in one.
        var scopes = query["scope"].SelectMany(s => (s ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var authorization = context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null;
        var authenticated = authorization is not null && IsValidBasic(authorization);
        _requests.Enqueue(new TokenRequest(query["service"], scopes, query["account"], authorization, authenticated));

        switch (Fault)
        {
            case TokenIssuerFault.ServerError:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync("issuer fault injected");
                return;
            case TokenIssuerFault.Garbage:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("<html>this is not a token</html>");
                return;
        }

        if (authorization is not null && !authenticated)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}""");
            return;
        }

        var allowed = authenticated ? AuthenticatedActions : AnonymousActions;
        var access = scopes.Select(ParseScope).OfType<TokenAccess>()
            .Select(a => a with { Actions = [.. a.Actions.Where(allowed.Contains)] })
            .ToList();
        var token = CreateToken(authenticated ? Username : "", access);
        Interlocked.Increment(ref _issued);

        var body = new JsonObject();
        var field = TokenField;
        if (field is TokenField.Token or TokenField.Both)
        {
            body["token"] = token;
        }

        if (field is TokenField.AccessToken or TokenField.Both)
        {
            body["access_token"] = token;
        }

        if (ExpiresIn is { } expiresIn)
        {
            body["expires_in"] = expiresIn;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private bool IsValidBasic(string authorization)
    {
        const string prefix = "Basic ";
        if (!authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[prefix.Length..].Trim()));
            return decoded == Credentials;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Parses <c>type:name:action,action</c>; null for anything else.</summary>
    private static TokenAccess? ParseScope(string scope)
    {
        var first = scope.IndexOf(':', StringComparison.Ordinal);
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last == first)
        {
            return null;
        }

        var type = scope[..first];
        var name = scope[(first + 1)..last];
        var actions = scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        return new TokenAccess(type, name, actions);
    }

    private static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
