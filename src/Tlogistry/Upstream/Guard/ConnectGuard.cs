using System.Net;
using System.Net.Sockets;

namespace Tlogistry.Upstream.Guard;

/// <summary>
/// The SSRF guard. Where the socket is opened (SocketsHttpHandler.ConnectCallback of the
/// guarded pool in <see cref="TransportPools"/>) the host is resolved here and only an address
/// that passes <see cref="AddressPolicy"/> is dialled, so DNS rebinding, redirects and token
/// realms cannot reach a refused address. Which pool a request goes to is decided per request
/// by <see cref="IsTrusted"/>: an authority the operator configured (an <c>--upstream</c>
/// mapping, or an exact <c>--allow-registry</c> entry) may be private, and so may a token realm
/// named by such an upstream. The trusted pool never carries a client-named destination, so a
/// connection it opened can never be reused past this check.
/// </summary>
internal sealed class ConnectGuard
{
    private readonly HashSet<string> _trustedAuthorities;

    /// <param name="trustedAuthorities">host:port pairs; a bare host means port 443, as a registry without a mapping is reached.</param>
    public ConnectGuard(IEnumerable<string> trustedAuthorities)
    {
        _trustedAuthorities = new HashSet<string>(trustedAuthorities.Select(Normalize), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Trust is per host and port: a trusted host does not open its other ports.</summary>
    public bool IsTrusted(Uri uri) => _trustedAuthorities.Contains($"{uri.Host}:{uri.Port}");

    private static string Normalize(string authority) =>
        Uri.TryCreate("https://" + authority.Trim(), UriKind.Absolute, out var u) ? $"{u.Host}:{u.Port}" : authority.Trim();

    /// <summary>
    /// Opens a socket for the guarded pool: every address is judged, whatever the request. The
    /// request is not consulted, as the pool may reuse the connection for any later request to
    /// the same authority.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(a => AddressPolicy.Refusal(a) is null).ToArray();
        if (allowed.Length == 0)
        {
            var why = addresses.Length == 0 ? "it has no address" : string.Join(", ", addresses.Select(a => $"{a} is {AddressPolicy.Refusal(a)}"));
            throw new RefusedDestinationException($"refusing to connect to {endpoint.Host}:{endpoint.Port}: {why}");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>The guard refused a destination: no connection was made.</summary>
internal sealed class RefusedDestinationException : Exception
{
    public RefusedDestinationException(string message)
        : base(message)
    {
    }

    public RefusedDestinationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RefusedDestinationException()
    {
    }
}
