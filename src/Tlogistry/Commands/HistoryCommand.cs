using System.CommandLine;
using Tlogistry.Client.History;

namespace Tlogistry.Commands;

/// <summary><c>tlogistry history IMAGE[:TAG]</c>: every recorded sighting of an image's tags, each verified here (<see cref="ImageHistory"/>).</summary>
internal static class HistoryCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("IMAGE") { Description = "NAME or NAME:TAG, e.g. alpine or alpine:3.16.0." };
        var client = new ClientOptions("the proxy's own (/tlog/trusted_root.json), or the public-good root and the data directory's log");
        var dataDir = new Option<string?>("--data-dir") { Description = "Read this data directory's store instead of asking a proxy." };
        var json = new Option<bool>("--json") { Description = "Answer a JSON array instead of a table." };
        var store = new Option<string?>("--store") { Description = "Read this store instead of asking a proxy: postgres=CONNECTION STRING (the replicas' shared store; a password is best left to PGPASSWORD or ~/.pgpass). The signer comes from --key/--identity or --data-dir." };
        var command = new Command("history", "Every recorded sighting of an image's tags (or of one tag), each bundle verified here.") { image, client.Proxy, dataDir, store, json };
        client.AddTrustTo(command);
        command.SetAction((parse, ct) => Failures.RunClientAsync("history", () => ImageHistory.RunAsync(
            new HistoryRequest(parse.GetValue(image)!, client.ProxyUrl(parse), parse.GetValue(dataDir), parse.GetValue(json), client.Trust(parse), parse.GetValue(store)),
            Console.Out,
            Console.Error,
            ct)));
        return command;
    }
}
