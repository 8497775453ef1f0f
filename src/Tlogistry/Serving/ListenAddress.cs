using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Tlogistry.Serving;

/// <summary>
/// Which local interface a service accepts connections on: every interface (the default,
/// as a container or a shared front wants), loopback only (a first local try, a sidecar),
/// or one address of the host.
/// </summary>
internal sealed class ListenAddress
{
    private readonly IPAddress? _address;
    private readonly bool _localhost;

    private ListenAddress(IPAddress? address, bool localhost)
    {
        _address = address;
        _localhost = localhost;
    }

    public static ListenAddress Any { get; } = new(null, false);

    /// <summary>
    /// <c>*</c> (or nothing): every interface; <c>localhost</c>: 127.0.0.1 and ::1;
    /// otherwise an IPv4 or IPv6 literal (brackets allowed). Host names are refused:
    /// a name may resolve differently tomorrow, and a listener binds an address.
    /// </summary>
    public static ListenAddress Parse(string? text)
    {
        var value = text?.Trim() ?? "";
        if (value is "" or "*")
        {
            return Any;
        }

        if (value.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenAddress(null, true);
        }

        var literal = value.StartsWith('[') && value.EndsWith(']') ? value[1..^1] : value;
        // IPAddress.TryParse also takes "1", "127.1" or "0x7f.0.0.1" as IPv4; a listen address is written as it prints.
        return IPAddress.TryParse(literal, out var address) && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || address.ToString() == literal)
            ? new ListenAddress(address, false)
            : throw new FormatException($"--listen must be an IP address (e.g. 127.0.0.1 or ::1), localhost or *, got \"{text}\"");
    }

    /// <summary>How the start-up line names it.</summary>
    public override string ToString() => _localhost ? "localhost" : _address?.ToString() ?? "every interface";

    /// <summary>Adds the listener for <paramref name="port"/> to Kestrel.</summary>
    public void Listen(KestrelServerOptions kestrel, int port, Action<ListenOptions>? configure = null)
    {
        configure ??= _ => { };
        if (_localhost && port != 0)
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else if (_localhost)
        {
            // Kestrel cannot give 127.0.0.1 and ::1 one free port together; loopback v4 then.
            kestrel.Listen(IPAddress.Loopback, port, configure);
        }
        else if (_address is null)
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else
        {
            kestrel.Listen(_address, port, configure);
        }
    }

    /// <summary>The port the listener is bound to, once started.</summary>
    public static int? BoundPort(WebApplication app)
    {
        var first = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var colon = first?.LastIndexOf(':') ?? -1;
        return colon > 0 && int.TryParse(first.AsSpan(colon + 1).TrimEnd('/'), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : null;
    }
}
