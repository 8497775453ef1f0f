using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Http;
using Tlogistry.Signing;
using Tlogistry.Tests.LogServer;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Rekor;

/// <summary>
/// A Rekor v2 log that refuses a request it holds already, as rekor-tiles does (409 naming the
/// entry's index): the client answers with that entry, read from the log's tiles with a proof
/// against its checkpoint. Played by a scripted front that forwards reads to a real
/// <c>log serve</c> and answers every create with the 409 rekor-tiles sends.
/// </summary>
public sealed class RekorV2DuplicateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A409NamingTheEntryIsAnsweredWithThatEntryFromTheTiles()
    {
        await using var f = await Front.StartAsync();
        var (envelope, signer) = f.Sign("first");
        var logged = await f.Direct.AppendAsync(envelope, signer, Ct);
        await f.Direct.AppendAsync(f.Sign("second").Envelope, signer, Ct);

        f.Rekor.Handler = Conflict("""{"code":6,"message":"an equivalent entry already exists in the transparency log with index 0","details":[]}""", f);
        var again = await f.ViaFront.AppendAsync(envelope, signer, Ct);

        Assert.Equal(logged.LogIndex, again.LogIndex);
        Assert.Equal(logged.CanonicalizedBody, again.CanonicalizedBody);
        Assert.Equal(("hashedrekord", "0.0.2"), (again.Kind, again.Version));
        var proof = again.InclusionProof!;
        Assert.Equal(2, proof.TreeSize);
        MerkleProof.VerifyInclusion(again.LogIndex, proof.TreeSize, Rfc6962.LeafHash(again.CanonicalizedBody), proof.Hashes, proof.RootHash);
        Assert.Null(EntryBody.Parse(again.CanonicalizedBody, again.Kind, again.Version).FindMismatch(envelope));
    }

    [Fact]
    public async Task A409ThatNamesNoEntryOrOneBeyondTheLogIsAnOutageAndAnotherEntryDoesNotMatch()
    {
        await using var f = await Front.StartAsync();
        var (envelope, signer) = f.Sign("first");
        await f.Direct.AppendAsync(envelope, signer, Ct);
        await f.Direct.AppendAsync(f.Sign("other").Envelope, signer, Ct);

        f.Rekor.Handler = Conflict("""{"code":6,"message":"already exists"}""", f);
        await Assert.ThrowsAsync<LogUnavailableException>(() => f.ViaFront.AppendAsync(envelope, signer, Ct));
        f.Rekor.Handler = Conflict("""{"code":6,"message":"an equivalent entry already exists in the transparency log with index 7"}""", f);
        await Assert.ThrowsAsync<LogUnavailableException>(() => f.ViaFront.AppendAsync(envelope, signer, Ct));

        // A log that names someone else's entry: handed on, and it does not commit to the envelope sent.
        f.Rekor.Handler = Conflict("""{"code":6,"message":"an equivalent entry already exists in the transparency log with index 1"}""", f);
        var wrong = await f.ViaFront.AppendAsync(envelope, signer, Ct);
        Assert.NotNull(EntryBody.Parse(wrong.CanonicalizedBody, wrong.Kind, wrong.Version).FindMismatch(envelope));
    }

    [Theory]
    [InlineData("""{"code":6,"message":"an equivalent entry already exists in the transparency log with index 42","details":[]}""", 42L)]
    [InlineData("an equivalent entry already exists in the transparency log with index 7\n", 7L)]
    [InlineData("""{"code":6,"message":"already exists"}""", null)]
    [InlineData("""{"message":"an equivalent entry already exists in the transparency log with index 99999999999999999999"}""", null)]
    [InlineData("""{"message":"an equivalent entry already exists in the transparency log with index -1"}""", null)]
    public void TheDuplicateIndexIsReadOnlyFromTheRekorTilesMessage(string body, long? expected) =>
        Assert.Equal(expected, DuplicateIndex.Find(System.Text.Encoding.UTF8.GetBytes(body)));

    /// <summary>Creates answer 409 with <paramref name="json"/>; reads are forwarded to the real log.</summary>
    private static Func<HttpContext, RekorRequest, Task> Conflict(string json, Front f) => async (c, r) =>
    {
        if (r.Method == "POST")
        {
            await ScriptedRekor.Json(c, 409, json);
            return;
        }

        using var forwarded = await f.Server.Http.GetAsync(r.Path.TrimStart('/'), Ct);
        c.Response.StatusCode = (int)forwarded.StatusCode;
        await c.Response.Body.WriteAsync(await forwarded.Content.ReadAsByteArrayAsync(Ct), Ct);
    };

    private sealed class Front : IAsyncDisposable
    {
        private readonly TempDirectory _dir;
        private readonly HttpClient _http;
        private readonly InstanceKey _key;

        private Front(TempDirectory dir, LogServerClient server, ScriptedRekor rekor, HttpClient http, RekorV2Log direct, RekorV2Log viaFront, InstanceKey key)
        {
            _dir = dir;
            Server = server;
            Rekor = rekor;
            _http = http;
            Direct = direct;
            ViaFront = viaFront;
            _key = key;
        }

        public LogServerClient Server { get; }

        public ScriptedRekor Rekor { get; }

        public RekorV2Log Direct { get; }

        public RekorV2Log ViaFront { get; }

        public static async Task<Front> StartAsync()
        {
            var dir = new TempDirectory();
            var server = await LogServerClient.StartAsync(dir.Combine("log"));
            var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(dir.Combine("log", "trusted_root.json"), Ct));
            var v2 = root.Logs.First(l => !l.LogId.AsSpan().SequenceEqual(LogIds.ForRekorV1(l.PublicKeyDer)));
            var http = new HttpClient();
            var direct = new RekorV2Log(server.Http.BaseAddress!, v2.LogId, http, JsonHttpOptions.ForRekor(), NullLogger<RekorV2Log>.Instance);
            var rekor = await ScriptedRekor.StartAsync();
            return new Front(dir, server, rekor, http, direct, rekor.V2(v2.LogId), InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem")));
        }

        public (DsseEnvelope Envelope, SignerMaterial Signer) Sign(string payload)
        {
            var envelope = _key.SignEnvelope(Dsse.InTotoPayloadType, System.Text.Encoding.UTF8.GetBytes(payload));
            return (envelope, SignerMaterial.ForKey(_key.PublicKeyDer));
        }

        public async ValueTask DisposeAsync()
        {
            _key.Dispose();
            _http.Dispose();
            await Rekor.DisposeAsync();
            await Server.DisposeAsync();
            _dir.Dispose();
        }
    }
}
