using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.LogServer;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Tests.LogServer;

/// <summary>An in-process log server on a loopback port, and requests the way Rekor clients build them.</summary>
internal sealed class LogServerClient : IAsyncDisposable
{
    private LogServerClient(WebApplication app, Uri baseUri)
    {
        App = app;
        Http = new HttpClient { BaseAddress = baseUri };
    }

    public WebApplication App { get; }

    public HttpClient Http { get; }

    public static async Task<LogServerClient> StartAsync(string dataDir, WriterPolicy? writers = null)
    {
        var app = await LogServerApp.StartAsync(new LogServerSettings(dataDir, 0, null, Tlogistry.Serving.ListenAddress.Parse("127.0.0.1"), writers), CancellationToken.None);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LogServerClient(app, new Uri(address + "/"));
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        Http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public static string HashedRekordRequest(ECDsa key, byte[] digest, byte[]? signature = null) =>
        new JsonObject
        {
            ["hashedRekordRequestV002"] = new JsonObject
            {
                ["digest"] = Convert.ToBase64String(digest),
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature ?? key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence)),
                    ["verifier"] = new JsonObject
                    {
                        ["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()) },
                        ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                    },
                },
            },
        }.ToJsonString();

    /// <summary>An in-toto statement whose one subject digest is SHA-256 of <paramref name="tag"/>, as the proxy writes it.</summary>
    public static byte[] Statement(string tag) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["_type"] = "https://in-toto.io/Statement/v1",
        ["subject"] = new JsonArray(new JsonObject
        {
            ["name"] = tag,
            ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tag))) },
        }),
        ["predicateType"] = "https://example.test/sighting/v1",
        ["predicate"] = new JsonObject { ["tag"] = tag },
    }.ToJsonString());

    /// <summary>A proposed intoto v0.0.2 entry: payload and sig base64 of the envelope's base64, publicKey base64 PEM.</summary>
    public static string IntotoRequest(ECDsa key, byte[] statement, byte[]? signature = null)
    {
        var sig = signature ?? key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, statement), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["kind"] = "intoto",
            ["apiVersion"] = "0.0.2",
            ["spec"] = new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["envelope"] = new JsonObject
                    {
                        ["payloadType"] = Dsse.InTotoPayloadType,
                        ["payload"] = B64(Convert.ToBase64String(statement)),
                        ["signatures"] = new JsonArray(new JsonObject
                        {
                            ["sig"] = B64(Convert.ToBase64String(sig)),
                            ["publicKey"] = B64(Pem(key)),
                        }),
                    },
                },
            },
        }.ToJsonString();
    }

    public static string Pem(ECDsa key) => key.ExportSubjectPublicKeyInfoPem() + "\n";

    public static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
