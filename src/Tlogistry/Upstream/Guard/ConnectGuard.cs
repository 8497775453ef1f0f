using System.Net;
using System.Net.Sockets;
using Tlogistry.Oci;

namespace Tlogistry.Upstream.Guard;

/// <summary>
/// The SSRF guard, applied where the socket is opened (SocketsHttpHandler.ConnectCallback):
/// the host is resolved here and only an address that passes <see cref="AddressPolicy"/> is
/// dialled, so DNS rebinding, redirects and token realms cannot reach a refused address.
/// Requests for a registry the operator configured (an <c>--upstream</c> mapping, or an
/// exact <c>--allow-registry</c> entry) may use private addresses; so may a token realm
/// named by such a registry. Trust belongs to the registry's one name and is marked on each
/// request (<see cref="TrustedDestination"/>), never inferred from the URL's authority: a name
/// that merely spells a mapping's address gains nothing from the mapping.
/// </summary>
internal sealed class ConnectGuard
{
    /// <summary>Marks a request whose destination the operator configured.</summary>
    public static readonly HttpRequestOptionsKey<bool> TrustedDestination = new("tlogistry.trusted-destination");

    private readonly HashSet<RegistryHost> _trusted;

    /// <param name="trusted">The registries the operator configured.</param>
    public ConnectGuard(IEnumerable<RegistryHost> trusted)
    {
        _trusted = [.. trusted];
    }

    /// <summary>Whether requests for <paramref name="registry"/> (and its token realm) may reach any address.</summary>
    public bool IsTrusted(RegistryHost registry) => _trusted.Contains(registry);

    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var request = context.InitialRequestMessage;
        var trusted = request.Options.TryGetValue(TrustedDestination, out var t) && t;

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
