using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tlogistry.Tests.Hostile;

/// <summary>
/// The record of moved tags against what a client or upstream can throw at it: malformed
/// queries, a huge page, an upstream that moves tag after tag past the bound, and a store that
/// cannot take the record while the refusal must still go out.
/// </summary>
public sealed class MovesListingHostileTests
{
    private const string Registry = "moves.test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("?limit=0", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?limit=1001", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?limit=99999999999999999999", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?limit=-1", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?limit=1&limit=2", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?after=x", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?after=1-2-3", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?after=300000000000000000-1", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?after=9223372036854775807-1", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?after=253402300800000000-1", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?after=%27%3B%20DROP%20TABLE%20tag_moves", "PAGINATION_NUMBER_INVALID")]
    [InlineData("?since=yesterday", "UNSUPPORTED")]
    [InlineData("?since=2026-01-01T00:00:00", "UNSUPPORTED")]
    [InlineData("?since=2026-13-01T00:00:00Z", "UNSUPPORTED")]
    [InlineData("?registry=UPPER..case", "NAME_INVALID")]
    [InlineData("?registry=a%00b", "NAME_INVALID")]
    [InlineData("?image=Not%20A%20Name", "NAME_INVALID")]
    public async Task AMalformedQueryIsRefusedWith400AndSaysWhich(string query, string code)
    {
        using var data = new TempDirectory();
        await using var upstream = await Oci11Registry.StartAsync();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [Registry + "=" + upstream.BaseUri], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        using var response = await http.GetAsync("/tlog/moves" + query, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task AnUpstreamMovingTagAfterTagKeepsOnlyTheNewestRowsWithinTheBound()
    {
        const int bound = 5;
        const int tags = 40;
        using var data = new TempDirectory();
        await using var upstream = await Oci11Registry.StartAsync();
        await using var proxy = await ProxyHost.StartAsync(
            data.Path,
            [Registry + "=" + upstream.BaseUri],
            new Dictionary<string, string?> { ["Tlogistry:MovesMaxRows"] = bound.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        for (var i = 0; i < tags; i++)
        {
            upstream.PutManifest(upstream.Manifest($"v{i} as first seen"), OciImageBuilder.ManifestMediaType, $"v{i}");
            await ExpectAsync(http, $"/v2/{Registry}/org/app/manifests/v{i}", HttpStatusCode.OK);
        }

        for (var i = 0; i < tags; i++)
        {
            upstream.PutManifest(upstream.Manifest($"v{i} moved"), OciImageBuilder.ManifestMediaType, $"v{i}");
            await ExpectAsync(http, $"/v2/{Registry}/org/app/manifests/v{i}", HttpStatusCode.Conflict);
        }

        using var listed = await ExpectAsync(http, "/tlog/moves?limit=1000", HttpStatusCode.OK);
        var rows = JsonDocument.Parse(await listed.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("moves").EnumerateArray().Select(m => m.GetProperty("tag").GetString()).ToList();
        Assert.Equal(Enumerable.Range(tags - bound, bound).Reverse().Select(i => $"{Registry}/org/app:v{i}"), rows);
        using var c = new SqliteConnection($"Data Source={Path.Combine(data.Path, "index.db")};Pooling=False");
        c.Open();
        using var count = c.CreateCommand();
        count.CommandText = "SELECT count(*) FROM tag_moves";
        Assert.Equal(bound, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task AStoreThatCannotKeepTheRecordStillLetsTheRefusalOut()
    {
        using var data = new TempDirectory();
        await using var upstream = await Oci11Registry.StartAsync();
        var first = upstream.PutManifest(upstream.Manifest("first"), OciImageBuilder.ManifestMediaType, "v1");
        await using var proxy = await ProxyHost.StartAsync(data.Path, [Registry + "=" + upstream.BaseUri], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await ExpectAsync(http, $"/v2/{Registry}/org/app/manifests/v1", HttpStatusCode.OK);
        var moved = upstream.PutManifest(upstream.Manifest("moved"), OciImageBuilder.ManifestMediaType, "v1");

        // The table goes away behind the proxy's back: every write to the record fails.
        using (var c = new SqliteConnection($"Data Source={Path.Combine(data.Path, "index.db")};Pooling=False"))
        {
            c.Open();
            using var drop = c.CreateCommand();
            drop.CommandText = "DROP TABLE tag_moves";
            drop.ExecuteNonQuery();
        }

        using var refused = await ExpectAsync(http, $"/v2/{Registry}/org/app/manifests/v1", HttpStatusCode.Conflict);
        var message = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains(first, message, StringComparison.Ordinal);
        Assert.Contains(moved, message, StringComparison.Ordinal);

        // The listing says it cannot read the record, naming no SQL.
        using var listing = await ExpectAsync(http, "/tlog/moves", HttpStatusCode.ServiceUnavailable);
        var body = await listing.Content.ReadAsStringAsync(Ct);
        Assert.Contains("reference", body, StringComparison.Ordinal);
        Assert.DoesNotContain("tag_moves", body, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> ExpectAsync(HttpClient http, string path, HttpStatusCode status)
    {
        var response = await http.GetAsync(path, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return response;
    }
}
