using System.Diagnostics;
using System.Net;
using Tlogistry.Upstream.Guard;

namespace Tlogistry.Upstream;

/// <summary>Which side of the SSRF guard a request travels on, decided once per request.</summary>
internal enum Destination
{
    /// <summary>Named by a client (or by a registry a client named): only public addresses.</summary>
    Guarded,

    /// <summary>
    /// Named by the operator (a mapping, an exact allowed registry, or a token realm one of those
    /// named): exempt from the address policy, so it may be private.
    /// </summary>
    ExemptUnsafe,
}

/// <summary>
/// Two connection pools that share nothing: one whose every socket passed
/// <see cref="ConnectGuard"/>, for client-named destinations, and one for destinations the
/// operator configured. A pooled connection is reused for any later request to the same
/// authority, so the address check must hold per request, not per socket: keeping the pools
/// apart makes it so, as a connection opened for a trusted destination is in a pool no
/// client-named request ever reaches. Only the configured pool honours a proxy from the
/// environment; the guarded pool never uses one, as its guard must see the destination.
/// </summary>
internal sealed class TransportPools : IDisposable
{
    private readonly HttpClient _guarded;
    private readonly HttpClient _configured;

    public TransportPools(UpstreamOptions options)
    {
        _guarded = Client(options, ConnectGuard.ConnectAsync);
        _configured = Client(options, connect: null);
    }

    public HttpClient For(Destination destination) => destination == Destination.ExemptUnsafe ? _configured : _guarded;

    public void Dispose()
    {
        _guarded.Dispose();
        _configured.Dispose();
    }

    private static HttpClient Client(UpstreamOptions options, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 64,

            // Spans are made for upstream calls when tracing is on, but no trace context is
            // sent: a client's traceparent is as much its own as its Authorization header.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        if (connect is not null)
        {
            handler.ConnectCallback = connect;

            // Through a forward proxy (HTTPS_PROXY and the like) the socket would go to the
            // proxy: the guard would judge the proxy's address, and the proxy would dial
            // whatever the client named. Client-named destinations are dialled directly.
            handler.UseProxy = false;
        }

        var client = new HttpClient(handler) { Timeout = options.ResponseTimeout };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("tlogistry/1.0");
        return client;
    }
}
