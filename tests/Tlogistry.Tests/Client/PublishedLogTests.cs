using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Signing;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Client;

/// <summary>What the proxy publishes so that its log can be checked without it: tiles, checkpoint, trust material.</summary>
public sealed class PublishedLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheEmbeddedLogIsServedAsTilesWithTheTrustMaterialToCheckIt()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        await f.PullAsync("b", Ct);
        var log = f.Proxy.Services.GetRequiredService<EmbeddedLog>();

        Assert.Equal(log.LatestCheckpoint.Note, await f.Http.GetStringAsync("/checkpoint", Ct));
        var level0 = await f.Http.GetByteArrayAsync("/tile/0/000.p/2", Ct);
        var leaves = Tlogistry.Transparency.Tiles.EntryBundle.Decode(await f.Http.GetByteArrayAsync("/tile/entries/000.p/2", Ct));
        Assert.Equal([.. Rfc6962.LeafHash(leaves[0]), .. Rfc6962.LeafHash(leaves[1])], level0);
        Assert.Equal(level0[..32], await f.Http.GetByteArrayAsync("/tile/0/000.p/1", Ct));

        foreach (var path in new[] { "/tile/0/000.p/3", "/tile/0/001", "/tile/x/../checkpoint", "/tile/0/0" })
        {
            using var missing = await f.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Contains("\"code\":\"BLOB_UNKNOWN\"", await missing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        // The published root names the embedded log at the URL it was asked at; the key is the instance's.
        var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(f.TrustedRoot, Ct));
        var published = Assert.Single(root.Logs, l => l.LogId.AsSpan().SequenceEqual(log.Trusted.LogId));
        Assert.Equal(f.Proxy.BaseUri.ToString().TrimEnd('/') + "/" + log.Origin, published.BaseUrl);
        Assert.Same(published, root.FindByOrigin(log.Origin));
        Assert.Equal(f.Proxy.Services.GetRequiredService<InstanceKey>().PublicKeyDer, PublicKeyPem.Read(await File.ReadAllTextAsync(f.Key, Ct), "key.pem"));
    }
}
