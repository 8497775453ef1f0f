using System.CommandLine;
using Tlogistry.Client;
using Tlogistry.Client.Audit;
using Tlogistry.Client.History;
using Tlogistry.Client.Verify;
using Tlogistry.Transparency;

namespace Tlogistry.Host;

/// <summary>
/// The user's and operator's commands: <c>history</c>, <c>verify</c> and <c>audit</c>. They read
/// what a proxy publishes (or a data directory) and check it here; failures print one line
/// naming the reason and exit 1.
/// </summary>
internal static class ClientCommands
{
    private const string DefaultProxy = "http://127.0.0.1:8080";

    public static IEnumerable<Command> Create()
    {
        yield return History();
        yield return Verify();
        yield return Audit();
    }

    private static Command History()
    {
        var image = new Argument<string>("IMAGE") { Description = "NAME or NAME:TAG, e.g. alpine or alpine:3.16.0." };
        var proxy = ProxyOption();
        var dataDir = new Option<string?>("--data-dir") { Description = "Read this data directory's store instead of asking a proxy." };
        var json = new Option<bool>("--json") { Description = "Answer a JSON array instead of a table." };
        var store = new Option<string?>("--store") { Description = "Read this store instead of asking a proxy: postgres=CONNECTION STRING (the replicas' shared store; a password is best left to PGPASSWORD or ~/.pgpass). The signer comes from --key/--identity or --data-dir." };
        var trust = new TrustOptions("the proxy's own (/tlog/trusted_root.json), or the public-good root and the data directory's log");
        var command = new Command("history", "Every recorded sighting of an image's tags (or of one tag), each bundle verified here.") { image, proxy, dataDir, store, json };
        trust.AddTo(command);
        command.SetAction((parse, ct) => RunAsync("history", () => HistoryCommand.RunAsync(
            new HistoryRequest(parse.GetValue(image)!, ProxyClient.ParseUrl(parse.GetValue(proxy) ?? DefaultProxy), parse.GetValue(dataDir), parse.GetValue(json), trust.Read(parse), parse.GetValue(store)),
            Console.Out,
            Console.Error,
            ct)));
        return command;
    }

    private static Command Verify()
    {
        var image = new Argument<string>("IMAGE:TAG") { Description = "The tag whose sighting to check, e.g. alpine:3.16.0." };
        var digest = new Option<string?>("--digest") { Description = "The digest the tag must be pinned to." };
        var bundle = new Option<string?>("--bundle") { Description = "Check this bundle file instead of fetching the tag's bundle from the proxy." };
        var proxy = ProxyOption();
        var logUrl = new Option<string?>("--log-url") { Description = "Read the log's current checkpoint here instead of at the URL the trusted root gives (an embedded log: the proxy)." };
        var stateDir = new Option<string?>("--state-dir") { Description = "Where the last checkpoint seen of each log is kept (default $XDG_CACHE_HOME/tlogistry or ~/.cache/tlogistry)." };
        var trust = new TrustOptions("the public-good root");
        var command = new Command("verify", "Check a tag's sighting trusting neither the proxy nor the log's API: signature, signer, statement, inclusion, and the log's consistency with what this client saw before.") { image, digest, bundle, proxy, logUrl, stateDir };
        trust.AddTo(command);
        command.SetAction((parse, ct) => RunAsync("verify", async () =>
        {
            var url = parse.GetValue(logUrl);
            var request = new VerifyRequest(
                parse.GetValue(image)!,
                parse.GetValue(digest),
                parse.GetValue(bundle),
                ProxyClient.ParseUrl(parse.GetValue(proxy) ?? DefaultProxy),
                trust.Read(parse),
                url is null ? null : ProxyClient.ParseUrl(url),
                parse.GetValue(stateDir));
            await Console.Out.WriteLineAsync(await VerifyCommand.RunAsync(request, ct));
            return 0;
        }));
        return command;
    }

    private static Command Audit()
    {
        var from = new Option<long>("--from") { Description = "The first log index to read (default 0)." };
        var proxy = ProxyOption();
        var log = new Option<string?>("--log") { Description = "The log to scan: embedded, rekor-v1=URL or rekor-v2=URL (also tlogistry log serve). Default: the log the proxy says it records in (/tlog/log, at the URL its trusted root gives), or --data-dir's embedded log." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Scan this data directory's embedded log (read-only) and, without --proxy, compare with its store." };
        var json = new Option<bool>("--json") { Description = "Answer a JSON object instead of lines." };
        var every = new Option<int>("--progress-every") { Description = "Report progress on stderr every N entries (default 1000).", DefaultValueFactory = _ => 1000 };
        var trust = new TrustOptions("the proxy's own (/tlog/trusted_root.json), or the public-good root and the data directory's log");
        var command = new Command("audit", "Monitor the log: report every tag recorded with two digests and every entry of ours that no published bundle explains.") { from, proxy, log, dataDir, json, every };
        trust.AddTo(command);
        command.SetAction((parse, ct) => RunAsync("audit", () =>
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

            var proxyText = parse.GetValue(proxy);
            return AuditCommand.RunAsync(
                new AuditRequest(parse.GetValue(from), ProxyClient.ParseUrl(proxyText ?? DefaultProxy), proxyText is not null, choice, parse.GetValue(dataDir), parse.GetValue(json), trust.Read(parse), parse.GetValue(every)),
                Console.Out,
                Console.Error,
                ct);
        }));
        return command;
    }

    private static Option<string?> ProxyOption() => new("--proxy") { Description = $"The tlogistry proxy (default {DefaultProxy})." };

    private static async Task<int> RunAsync(string name, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is ClientException or IOException or UnauthorizedAccessException or InvalidDataException or System.Data.Common.DbException)
        {
            await Console.Error.WriteLineAsync($"tlogistry {name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>The flags that say whom to trust, shared by the three commands.</summary>
    private sealed class TrustOptions
    {
        private readonly Option<string?> _root;
        private readonly Option<string[]> _keys = new("--key") { Description = "A PEM public key whose sightings count (key mode). Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        private readonly Option<string?> _identity = new("--identity") { Description = "Keyless: the certificate identity (SAN e-mail or URI) whose sightings count." };
        private readonly Option<string?> _issuer = new("--issuer") { Description = "Keyless: the OIDC issuer the certificate must name." };
        private readonly Option<string?> _caCert = new("--ca-cert") { Description = "PEM file of certificate authorities to trust for HTTPS to the proxy and the log, in addition to the system's (e.g. a private CA)." };

        public TrustOptions(string defaultRoot)
        {
            _root = new Option<string?>("--trusted-root") { Description = $"Sigstore trusted_root.json naming the logs to trust (default: {defaultRoot})." };
        }

        public void AddTo(Command command)
        {
            command.Options.Add(_root);
            command.Options.Add(_keys);
            command.Options.Add(_identity);
            command.Options.Add(_issuer);
            command.Options.Add(_caCert);
        }

        public TrustFlags Read(ParseResult parse) =>
            new(parse.GetValue(_root), parse.GetValue(_keys) ?? [], parse.GetValue(_identity), parse.GetValue(_issuer), parse.GetValue(_caCert));
    }
}
