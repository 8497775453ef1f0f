using System.CommandLine;
using Tlogistry.Client;
using Tlogistry.Client.Verify;

namespace Tlogistry.Commands;

/// <summary><c>tlogistry verify IMAGE:TAG</c>: checks a tag's sighting trusting neither the proxy nor the log's API (<see cref="TagVerification"/>).</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("IMAGE:TAG") { Description = "The tag whose sighting to check, e.g. alpine:3.16.0." };
        var digest = new Option<string?>("--digest") { Description = "The digest the tag must be pinned to." };
        var bundle = new Option<string?>("--bundle") { Description = "Check this bundle file instead of fetching the tag's bundle from the proxy." };
        var client = new ClientOptions("the public-good root");
        var logUrl = new Option<string?>("--log-url") { Description = "Read the log's current checkpoint here instead of at the URL the trusted root gives (an embedded log: the proxy)." };
        var stateDir = new Option<string?>("--state-dir") { Description = "Where the last checkpoint seen of each log is kept (default $XDG_CACHE_HOME/tlogistry or ~/.cache/tlogistry)." };
        var command = new Command("verify", "Check a tag's sighting trusting neither the proxy nor the log's API: signature, signer, statement, inclusion, and the log's consistency with what this client saw before.") { image, digest, bundle, client.Proxy, logUrl, stateDir };
        client.AddTrustTo(command);
        command.SetAction((parse, ct) => Failures.RunClientAsync("verify", async () =>
        {
            var url = parse.GetValue(logUrl);
            var request = new VerifyRequest(
                parse.GetValue(image)!,
                parse.GetValue(digest),
                parse.GetValue(bundle),
                client.ProxyUrl(parse),
                client.Trust(parse),
                url is null ? null : ProxyClient.ParseUrl(url),
                parse.GetValue(stateDir));
            await Console.Out.WriteLineAsync(await TagVerification.RunAsync(request, ct));
            return 0;
        }));
        return command;
    }
}
