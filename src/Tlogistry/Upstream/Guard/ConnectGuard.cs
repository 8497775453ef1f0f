using System.Net;
using System.Net.Sockets;
using Tlogistry.Oci;

namespace Tlogistry.Upstream.Guard;

/// <summary>
/// The SSRF guard. Where a socket of the guarded pool in <see cref="TransportPools"/> is opened
/// (SocketsHttpHandler.ConnectCallback) the host is resolved here and only an address that
/// passes <see cref="AddressPolicy"/> is dialled, so DNS rebinding, redirects and token realms
/// cannot reach a refused address. Which pool a request travels in is decided per request by
/// <see cref="IsExemptUnsafe"/>: a registry the operator configured (an <c>--upstream</c> mapping, or
/// an exact <c>--allow-registry</c> entry) may be private, and so may a token realm it names.
/// Trust belongs to the registry's one name, never to a URL's authority, so a name that merely
/// spells a mapping's address gains nothing; and the configured pool never carries a
/// client-named destination, so a connection it opened is never reused past this check.
/// </summary>
internal sealed class ConnectGuard
{
    private readonly HashSet<RegistryHost> _exemptUnsafe;

    /// <param name="exemptUnsafe">The registries the operator configured, exempt from <see cref="AddressPolicy"/>.</param>
    public ConnectGuard(IEnumerable<RegistryHost> exemptUnsafe)
    {
        _exemptUnsafe = [.. exemptUnsafe];
    }

    /// <summary>Whether requests for <paramref name="registry"/> (and its token realm) skip the address policy and may reach any address.</summary>
    public bool IsExemptUnsafe(RegistryHost registry) => _exemptUnsafe.Contains(registry);

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
