using System.Diagnostics;

namespace Tlogistry.Upstream;

/// <summary>
/// Upstream's answer to one request, headers read and body not yet: the caller owns it. Its body
/// is only to be had through <see cref="OpenBodyAsync"/> or <see cref="ReadBodyAsync"/>, which
/// hold it to the idle timeout and to what is left of the exchange's budget.
/// </summary>
internal sealed class UpstreamExchange : IDisposable
{
    private readonly TimeSpan _idle;
    private readonly ExchangeBudget _budget;
    private readonly long _started;

    /// <param name="started">Stopwatch timestamp of the exchange's first request.</param>
    public UpstreamExchange(HttpResponseMessage response, TimeSpan idle, ExchangeBudget budget, long started)
    {
        Response = response;
        _idle = idle;
        _budget = budget;
        _started = started;
    }

    public HttpResponseMessage Response { get; }

    /// <summary>The body as a stream that fails a read once upstream stalls or runs out of budget.</summary>
    public async Task<Stream> OpenBodyAsync(CancellationToken cancellationToken) =>
        new UpstreamBodyStream(await Response.Content.ReadAsStreamAsync(cancellationToken), _idle, _budget, Stopwatch.GetElapsedTime(_started));

    /// <summary>The whole body, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    public async Task<byte[]?> ReadBodyAsync(int limit, CancellationToken cancellationToken)
    {
        var declared = Response.Content.Headers.ContentLength;
        if (declared > limit)
        {
            return null;
        }

        await using var body = await OpenBodyAsync(cancellationToken);
        return await BoundedBody.ReadAsync(body, declared, limit, cancellationToken);
    }

    public void Dispose() => Response.Dispose();
}
