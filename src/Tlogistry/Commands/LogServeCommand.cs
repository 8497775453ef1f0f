using System.CommandLine;
using Tlogistry.Host;
using Tlogistry.LogServer;
using Tlogistry.Serving;

namespace Tlogistry.Commands;

/// <summary><c>tlogistry log serve</c>: the embedded log alone, over the Rekor and tiles APIs (<see cref="LogServerApp"/>).</summary>
internal static class LogServeCommand
{
    public static Command Create()
    {
        var port = ServiceOptions.Port();
        var listen = ServiceOptions.Listen();
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the log, its key and its entry sidecar.", Required = true };
        var publicUrl = new Option<string?>("--public-url") { Description = "URL clients reach this log at, written into trusted_root.json (default http://127.0.0.1:PORT)." };
        var writerKey = new Option<string[]>("--writer-key") { Description = "PEM public key (or certificate) whose entries are appended; repeatable. Default: none, an open log that appends any valid entry.", Arity = ArgumentArity.ZeroOrMore };
        var logFormat = ServiceOptions.LogFormat();
        var metricsPort = ServiceOptions.MetricsPort();
        var serve = new Command("serve", "Serve a file-backed log over the Rekor v2 write API, the C2SP tiles read API and a Rekor v1 subset.") { port, listen, dataDir, publicUrl, writerKey, logFormat, metricsPort };
        serve.SetAction((parse, ct) => Failures.RunServiceAsync(
            async () =>
            {
                var resolved = new TlogistryOptions { Port = parse.GetValue(port) }.ResolvePort(Environment.GetEnvironmentVariable("PORT"));
                var url = parse.GetValue(publicUrl);
                if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
                {
                    await Console.Error.WriteLineAsync($"tlogistry: --public-url must be an absolute http(s) URL, got \"{url}\"");
                    return 2;
                }

                var writers = WriterPolicy.FromPemFiles(parse.GetValue(writerKey) ?? []);
                var settings = new LogServerSettings(parse.GetValue(dataDir)!, resolved, url, ListenAddress.Parse(parse.GetValue(listen)), writers, parse.GetValue(logFormat), parse.GetValue(metricsPort) ?? 0);
                await using var app = await LogServerApp.StartAsync(settings, ct);
                await app.WaitForShutdownAsync(ct);
                return 0;
            },
            ct));
        return serve;
    }
}
