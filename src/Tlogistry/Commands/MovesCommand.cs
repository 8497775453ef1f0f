using System.CommandLine;
using Tlogistry.Client.Moves;

namespace Tlogistry.Commands;

/// <summary><c>tlogistry moves</c>: the proxy's record of tags seen moved upstream (<see cref="RecordedMoves"/>).</summary>
internal static class MovesCommand
{
    public static Command Create()
    {
        var client = new ClientOptions("none: the rows are not signed");
        var registry = new Option<string?>("--registry") { Description = "Only moves of tags on this registry host, e.g. ghcr.io or docker.io." };
        var image = new Option<string?>("--image") { Description = "Only moves of this repository's tags, e.g. alpine or ghcr.io/org/app." };
        var since = new Option<string?>("--since") { Description = "Only moves last seen at or after this RFC 3339 time, e.g. 2026-01-31T09:00:00Z." };
        var json = new Option<bool>("--json") { Description = "Answer JSON lines, one move a line, instead of a table." };
        var limit = new Option<int?>("--limit") { Description = "Print at most N moves, the newest (default: every page)." };
        var caCert = new Option<string?>("--ca-cert") { Description = "PEM file of certificate authorities to trust for HTTPS to the proxy, in addition to the system's." };
        var command = new Command("moves", "Tags the proxy saw moved upstream, newest first: its observations, not signed claims; each names the signed pin it contradicts.")
        {
            client.Proxy, registry, image, since, json, limit, caCert,
        };
        command.SetAction((parse, ct) => Failures.RunClientAsync("moves", () => RecordedMoves.RunAsync(
            new MovesRequest(client.ProxyUrl(parse), parse.GetValue(registry), parse.GetValue(image), parse.GetValue(since), parse.GetValue(json), parse.GetValue(limit), parse.GetValue(caCert)),
            Console.Out,
            Console.Error,
            ct)));
        return command;
    }
}
