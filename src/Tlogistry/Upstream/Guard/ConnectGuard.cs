using System.Net;
using System.Net.Sockets;

namespace Tlogistry.Upstream.Guard;

/// <summary>
/// The SSRF guard, applied where the socket is opened (SocketsHttpHandler.ConnectCallback):
/// the host is resolved here and only an address that passes <see cref="AddressPolicy"/> is
/// dialled, so DNS rebinding, redirects and token realms cannot reach a refused address.
/// Requests to an authority the operator configured (an <c>--upstream</c> mapping, or an
/// exact <c>--allow-registry</c> entry) may use private addresses; so may a token realm
/// named by such an upstream (marked on the request by <see cref="TrustedDestination"/>).
/// </summary>
internal sealed class ConnectGuard
{
    /// <summary>Marks a request whose destination the operator configured.</summary>
    public static readonly HttpRequestOptionsKey<bool> TrustedDestination = new("tlogistry.trusted-destination");

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

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var request = context.InitialRequestMessage;
        var trusted = (request.Options.TryGetValue(TrustedDestination, out var t) && t) || IsTrusted(request.RequestUri!);

        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = trusted ? addresses : addresses.Where(a => AddressPolicy.Refusal(a) is null).ToArray();
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
