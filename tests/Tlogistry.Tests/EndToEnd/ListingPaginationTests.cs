using System.Net;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// The listings built from the store answer one bounded page at a time, with a <c>Link:
/// rel="next"</c> to follow, and a client asking for more than a page, or naming a position
/// that is not one, is told so instead of costing the store a larger read.
/// </summary>
public sealed class ListingPaginationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnImagesBundlesPageInTagOrderAndHostilePagingIsRefusedOrEmpty()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        string[] tags = ["v2", "v10", "a", "_x", "V1", "b", "z"];
        foreach (var tag in tags)
        {
            using var pulled = await http.GetAsync($"/v2/scripted.test/app/manifests/{tag}", Ct);
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        }

        // A neighbour image's tags stay out of the listing.
        using (var other = await http.GetAsync("/v2/scripted.test/app-x/manifests/a", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        var seen = new List<string>();
        var pages = 0;
        for (string? next = "/tlog/bundles?image=scripted.test/app&limit=3"; next is not null; pages++)
        {
            using var page = await http.GetAsync(next, Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var lines = (await page.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(lines.Length, 1, 3);
            seen.AddRange(lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!));
            next = page.Headers.TryGetValues("Link", out var link) ? link.Single()[1..link.Single().IndexOf('>', StringComparison.Ordinal)] : null;
            Assert.True(next is null || next.StartsWith("/tlog/bundles?image=scripted.test%2Fapp&after=", StringComparison.Ordinal), next);
        }

        Assert.Equal(3, pages);
        Assert.Equal(tags.Length, seen.Distinct().Count());

        // Sizes no page has, and positions that are not tags or numbers.
        foreach (var query in new[] { "limit=1000000000", "limit=-1", "limit=0", "limit=abc", "limit=1e3", "limit=%20100", "after=" + new string('a', 200), "after=..", "after=a%2Fb" })
        {
            await AssertError(http, "/tlog/bundles?image=scripted.test/app&" + query, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        }

        foreach (var path in new[] { "/tlog/bundles", "/tlog/intents" })
        {
            foreach (var query in new[] { "limit=1000000000", "limit=-5", "limit=x", "after=-1", "after=99999999999999999999", "after=abc" })
            {
                await AssertError(http, path + "?" + query, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
            }

            // A position past the end is an empty last page, not an error.
            using var past = await http.GetAsync(path + "?after=9223372036854775807&limit=1000", Ct);
            Assert.Equal(HttpStatusCode.OK, past.StatusCode);
            Assert.Empty(await past.Content.ReadAsStringAsync(Ct));
            Assert.False(past.Headers.Contains("Link"));
        }

        // A tag past the image's last is an empty page of a known image; an unknown image is 404.
        using (var end = await http.GetAsync("/tlog/bundles?image=scripted.test/app&after=zzz", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, end.StatusCode);
            Assert.Empty(await end.Content.ReadAsStringAsync(Ct));
            Assert.False(end.Headers.Contains("Link"));
        }

        await AssertError(http, "/tlog/bundles?image=scripted.test/none", HttpStatusCode.NotFound, "NAME_UNKNOWN");
        await AssertError(http, "/tlog/bundles?image=scripted.test/app:never", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    private static async Task AssertError(HttpClient http, string path, HttpStatusCode status, string code)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(status, response.StatusCode);
        Assert.Contains($"\"code\":\"{code}\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
