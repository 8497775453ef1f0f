using System.Net;
using System.Text.Json;
using Tlogistry.Client;
using Tlogistry.Client.History;

namespace Tlogistry.Tests.Mirrors;

/// <summary>
/// An image pulled through a mirror (<c>ns</c>) is recorded under its own name: <c>/history</c>
/// and <c>tlogistry history</c> answer for it exactly as for a prefixed pull, because a prefixed
/// pull of the same tag finds that record and adds none.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MirrorHistoryTests(MirrorFixture f) : IClassFixture<MirrorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HistoryAnswersForMirrorPullsAsForPrefixedPulls()
    {
        var a = await f.PushAsync(f.Ghcr, "team/hist", "a", "ghcr.io team/hist a");
        var b = await f.PushAsync(f.Ghcr, "team/hist", "b", "ghcr.io team/hist b");
        await f.PushAsync(f.Hub, "team/hist", "a", "docker.io team/hist a");
        using var http = f.Client();

        // a through the mirror, b by its prefixed name.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/team/hist/manifests/a?ns=ghcr.io", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/ghcr.io/team/hist/manifests/b", Ct)).StatusCode);

        var (exit, json) = await HistoryJsonAsync("ghcr.io/team/hist");
        Assert.Equal(0, exit);
        var rows = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(["a", "b"], rows.Select(r => r.GetProperty("tag").GetString()));
        Assert.Equal([a.ManifestDigest, b.ManifestDigest], rows.Select(r => r.GetProperty("digest").GetString()));
        Assert.Equal(["ghcr.io/team/hist:a", "ghcr.io/team/hist:b"], rows.Select(r => r.GetProperty("reference").GetString()));
        Assert.All(rows, r => Assert.True(r.GetProperty("verified").GetBoolean()));

        // The two rows have the same fields: a mirror pull's record is an ordinary one.
        Assert.Equal(rows[0].EnumerateObject().Select(p => p.Name), rows[1].EnumerateObject().Select(p => p.Name));

        // Docker Hub's image of the same name has no record from the mirror pull.
        var unknown = await Assert.ThrowsAsync<ClientException>(() => HistoryJsonAsync("docker.io/team/hist:a"));
        Assert.Contains("no sighting of index.docker.io/team/hist:a", unknown.Message, StringComparison.Ordinal);

        // A prefixed pull of a finds the mirror pull's record, so history does not change.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/ghcr.io/team/hist/manifests/a", Ct)).StatusCode);
        Assert.Equal(json, (await HistoryJsonAsync("ghcr.io/team/hist")).Json);

        // The web page lists both under the registry's name.
        var page = await http.GetStringAsync("/history?image=ghcr.io/team/hist", Ct);
        Assert.Contains(a.ManifestDigest, page, StringComparison.Ordinal);
        Assert.Contains(b.ManifestDigest, page, StringComparison.Ordinal);
        using var hubPage = await http.GetAsync("/history?image=docker.io/team/hist", Ct);
        Assert.Equal(HttpStatusCode.NotFound, hubPage.StatusCode);
        Assert.DoesNotContain(a.ManifestDigest, await hubPage.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Json)> HistoryJsonAsync(string image)
    {
        var output = new StringWriter();
        var exit = await ImageHistory.RunAsync(new HistoryRequest(image, f.Proxy.BaseUri, null, true, TrustFlags.None), output, new StringWriter(), Ct);
        return (exit, output.ToString());
    }
}
