using System.Net.Http.Headers;
using Tlogistry.Upstream;

namespace Tlogistry.Tests.Upstream;

public sealed class BoundedBodyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<byte[]?> Read(HttpContent content, int limit, CancellationToken cancellationToken) =>
        await BoundedBody.ReadAsync(await content.ReadAsStreamAsync(cancellationToken), content.Headers.ContentLength, limit, cancellationToken);

    private static StreamContent Content(byte[] body, long? declared)
    {
        var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentLength = declared;
        return content;
    }

    [Fact]
    public async Task ABodyOfItsDeclaredLengthComesBackWhole()
    {
        var body = Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray();
        using var content = Content(body, body.Length);
        Assert.Equal(body, await Read(content, 1 << 20, Ct));
    }

    [Fact]
    public async Task ABodyDeclaredOverTheLimitIsRefusedUnread()
    {
        using var content = Content(new byte[10], 2_000);
        Assert.Null(await Read(content, 1_000, Ct));
    }

    [Fact]
    public async Task ABodyShorterThanDeclaredComesBackShortForTheCallerToRefuse()
    {
        using var content = Content([1, 2, 3], 10);
        Assert.Equal([1, 2, 3], await Read(content, 1_000, Ct));
    }

    [Fact]
    public async Task ABodyWithoutALengthIsReadUpToTheLimit()
    {
        var body = new byte[50_000];
        using (var content = Content(body, null))
        {
            Assert.Equal(body.Length, (await Read(content, 50_000, Ct))!.Length);
        }

        using (var content = Content(body, null))
        {
            Assert.Null(await Read(content, 49_999, Ct));
        }
    }

    [Fact]
    public async Task AnEmptyBodyIsEmpty()
    {
        using var content = Content([], 0);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Empty((await Read(content, 1_000, Ct))!);
    }
}
