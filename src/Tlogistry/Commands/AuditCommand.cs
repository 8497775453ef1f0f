using System.CommandLine;
using Tlogistry.Client;
using Tlogistry.Client.Audit;
using Tlogistry.Transparency;

namespace Tlogistry.Commands;

/// <summary><c>tlogistry audit</c>: monitors the log against what the proxy publishes (<see cref="LogMonitor"/>).</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var from = new Option<long>("--from") { Description = "The first log index to read (default 0)." };
        var client = new ClientOptions("the proxy's own (/tlog/trusted_root.json), or the public-good root and the data directory's log");
        var log = new Option<string?>("--log") { Description = "The log to scan: embedded, rekor-v1=URL or rekor-v2=URL (also tlogistry log serve). Default: the log the proxy says it records in (/tlog/log, at the URL its trusted root gives), or --data-dir's embedded log." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Scan this data directory's embedded log (read-only) and, without --proxy, compare with its store." };
        var json = new Option<bool>("--json") { Description = "Answer a JSON object instead of lines." };
        var every = new Option<int>("--progress-every") { Description = "Report progress on stderr every N entries (default 1000).", DefaultValueFactory = _ => 1000 };
        var command = new Command("audit", "Monitor the log: report every tag recorded with two digests and every entry of ours that no published bundle explains.") { from, client.Proxy, log, dataDir, json, every };
        client.AddTrustTo(command);
        command.SetAction((parse, ct) => Failures.RunClientAsync("audit", () =>
        {
            LogChoice? choice;
            try
            {
                choice = parse.GetValue(log) is { Length: > 0 } given ? LogChoice.Parse(given) : null;
            }
            catch (FormatException e)
            {
                throw new ClientException(e.Message, e);
            }

            return LogMonitor.RunAsync(
                new AuditRequest(parse.GetValue(from), client.ProxyUrl(parse), parse.GetValue(client.Proxy) is not null, choice, parse.GetValue(dataDir), parse.GetValue(json), client.Trust(parse), parse.GetValue(every)),
                Console.Out,
                Console.Error,
                ct);
        }));
        return command;
    }
}
