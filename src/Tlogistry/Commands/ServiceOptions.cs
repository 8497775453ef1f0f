using System.CommandLine;

namespace Tlogistry.Commands;

/// <summary>The flags both services (<c>serve</c> and <c>log serve</c>) take, spelled once; each call makes a new option.</summary>
internal static class ServiceOptions
{
    public static Option<int?> Port() =>
        new("--port") { Description = "TCP port to listen on (also PORT; default 8080)." };

    public static Option<string?> Listen() =>
        new("--listen") { Description = "Interface to listen on: * (every interface, the default), localhost, or an IP address such as 127.0.0.1 or ::1." };

    public static Option<string?> LogFormat() =>
        new("--log-format") { Description = "Console log format: text (default, one line per message) or json (one JSON object per line)." };

    public static Option<int?> MetricsPort() =>
        new("--metrics-port") { Description = "Serve /metrics only on this second TCP port (plain HTTP, same interface), not on the main one (default: on the main port)." };
}
