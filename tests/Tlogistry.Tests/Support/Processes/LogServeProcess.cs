using System.Globalization;
using System.Text.RegularExpressions;

namespace Tlogistry.Tests.Support.Processes;

/// <summary>
/// <c>tlogistry log serve</c> as its own process on a port the OS picks: a live log speaking
/// the Rekor v1 and v2 APIs on loopback, with the trusted_root.json that describes it.
/// </summary>
internal sealed partial class LogServeProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private LogServeProcess(ChildProcess process, string dataDir, int port)
    {
        _process = process;
        DataDir = dataDir;
        Port = port;
        BaseUri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
    }

    public int Port { get; }

    public string DataDir { get; }

    /// <summary>The base URL, without a trailing slash, as the trusted root names it.</summary>
    public Uri BaseUri { get; }

    public string TrustedRootPath => Path.Combine(DataDir, "trusted_root.json");

    public string StandardOutput => _process.StandardOutput;

    /// <summary>Starts it on a free port; <paramref name="flags"/> go after the data directory and port.</summary>
    public static async Task<LogServeProcess> StartAsync(string dataDir, CancellationToken cancellationToken, IEnumerable<string>? flags = null)
    {
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : Tool.Require("dotnet", "dotnet-sdk-10.0");
        var process = ChildProcess.Start(dotnet, [Path.Combine(AppContext.BaseDirectory, "tlogistry.dll"), "log", "serve", "--data-dir", dataDir, "--port", "0", .. flags ?? []]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (Listening().Match(process.StandardOutput) is { Success: true } m)
            {
                return new LogServeProcess(process, dataDir, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }

            if (process.HasExited)
            {
                var output = process.StandardError + process.StandardOutput;
                await process.DisposeAsync();
                throw new InvalidOperationException("tlogistry log serve exited: " + output);
            }

            await Task.Delay(20, cancellationToken);
        }

        await process.DisposeAsync();
        throw new TimeoutException("tlogistry log serve did not listen within 60 s");
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"log listening on port (\d+)")]
    private static partial Regex Listening();
}
