using System.Net;
using System.Net.Sockets;

namespace Tlogistry.Tests.Support.Data;

/// <summary>A loopback TCP port nothing listens on right now, for a server the test starts or a closed port to aim at.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
