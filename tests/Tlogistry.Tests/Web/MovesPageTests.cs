using System.Text;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Web;

namespace Tlogistry.Tests.Web;

/// <summary>/moves made without a server: its pages follow the store's cursor, its filters reach the store, and it says when nothing is recorded.</summary>
public sealed class MovesPageTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PagesRunNewestFirstThroughTheStoresCursorAndFiltersNarrowThem()
    {
        await using var store = new SqliteTestStore();
        var moves = await store.OpenAsync();
        string[] tags = ["ghcr.io/org/app:v1", "ghcr.io/org/app:v2", "index.docker.io/library/alpine:3.16.0"];
        for (var i = 0; i < tags.Length; i++)
        {
            await moves.ObserveMoveAsync(Typed.Tag(tags[i]), Typed.Digest("sha256:" + new string('a', 64)), Typed.Digest("sha256:" + new string('b', 64)), i, MoveAnswer.Refused, T0.AddMinutes(i), Ct);
        }

        var page = new MovesPage(moves);
        var (first, link) = await RenderAsync(page, "?limit=2");
        Assert.Equal(tags[1..].Reverse(), first.QuerySelectorAll("#moves tr.move .tag").Select(t => t.TextContent));
        var next = new Uri(new Uri("http://proxy.test"), first.GetElementById("next")!.GetAttribute("href")!);
        Assert.Equal($"<{next.PathAndQuery}>; rel=\"next\"", link);
        var (second, end) = await RenderAsync(page, next.Query);
        Assert.Equal([tags[0]], second.QuerySelectorAll("#moves tr.move .tag").Select(t => t.TextContent));
        Assert.Null(second.GetElementById("next"));
        Assert.Null(end);

        Assert.Equal([tags[2]], (await RenderAsync(page, "?image=alpine")).Page.QuerySelectorAll("#moves tr.move .tag").Select(t => t.TextContent));
        Assert.Equal(tags[..2].Reverse(), (await RenderAsync(page, "?registry=ghcr.io")).Page.QuerySelectorAll("#moves tr.move .tag").Select(t => t.TextContent));
        // A filter's link to the next page keeps the filter.
        var filtered = (await RenderAsync(page, "?registry=ghcr.io&limit=1")).Page.GetElementById("next")!.GetAttribute("href")!;
        Assert.StartsWith("/moves?registry=ghcr.io&after=", filtered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutARecordThePageSaysNoMovesAreRecorded()
    {
        var (page, _) = await RenderAsync(new MovesPage(null), "");
        Assert.Contains("No moves recorded", page.GetElementById("no-moves")!.TextContent, StringComparison.Ordinal);
        Assert.Empty(page.QuerySelectorAll("#moves tr.move"));
        Assert.Contains("not signed claims", page.GetElementById("not-signed")!.TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("300000000000000000-1")]
    [InlineData("9223372036854775807-1")]
    [InlineData("253402300800000000-0")]
    public async Task ACursorNamingATimeNoStoreHoldsIsRefusedWith400(string after)
    {
        await using var store = new SqliteTestStore();
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?after=" + after);
        context.Response.Body = new MemoryStream();
        await new MovesPage(await store.OpenAsync()).HandleAsync(context);
        Assert.Equal(400, context.Response.StatusCode);
        Assert.Contains("PAGINATION_NUMBER_INVALID", Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreadableRecordAnswers503WithAReferenceNotTheStoresWords()
    {
        const string Secret = "password=hunter2 host=db.internal.example";
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        await new MovesPage(new FailingMoves(new IOException(Secret))).HandleAsync(context);
        Assert.Equal(503, context.Response.StatusCode);
        var body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.DoesNotContain("db.internal", body, StringComparison.Ordinal);
        Assert.Contains("UNAVAILABLE", body, StringComparison.Ordinal);
        Assert.Contains("reference", body, StringComparison.OrdinalIgnoreCase);
    }

    private sealed class FailingMoves(Exception failure) : ITagMoves
    {
        public Task<MoveObservation> ObserveMoveAsync(TagReference tag, Digest pinned, Digest upstream, long pinLogIndex, MoveAnswer answer, DateTimeOffset at, CancellationToken cancellationToken) => Task.FromException<MoveObservation>(failure);

        public Task<MovePage> ListMovesAsync(MoveQuery query, CancellationToken cancellationToken) => Task.FromException<MovePage>(failure);
    }

    private static async Task<(AngleSharp.Html.Dom.IHtmlDocument Page, string? Link)> RenderAsync(MovesPage page, string query)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        context.Response.Body = new MemoryStream();
        await page.HandleAsync(context);
        Assert.Equal(200, context.Response.StatusCode);
        var html = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        var link = context.Response.Headers.Link.ToString();
        return (new HtmlParser().ParseDocument(html), link.Length == 0 ? null : link);
    }
}
