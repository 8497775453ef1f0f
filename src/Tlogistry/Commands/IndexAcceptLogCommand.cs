using System.CommandLine;
using Tlogistry.Host;

namespace Tlogistry.Commands;

/// <summary>
/// <c>tlogistry index accept-log</c>: lists what accepting a log that went back would forget
/// (<see cref="AcceptLog"/>), and forgets it only with <c>--i-understand</c>.
/// </summary>
internal static class IndexAcceptLogCommand
{
    public static Command Create()
    {
        var data = new StoreOptions();
        var understood = new Option<bool>("--i-understand") { Description = "Forget the sightings listed and accept the log as it is now; without it nothing changes." };
        var acceptLog = new Command("accept-log", "Accept a log that no longer extends the checkpoint the store remembers (deleted, or restored from an older copy): lists what will be forgotten.")
        {
            data.DataDir, data.Log, data.TrustedRoot, data.Store, data.Signer, data.TokenSource, data.Identity, data.Issuer, data.TrustedKey, understood,
        };
        acceptLog.SetAction((parse, ct) =>
        {
            var overrides = new SettingOverrides();
            data.Write(overrides, parse);
            return Failures.RunOnceAsync(
                () => AcceptLog.RunAsync(overrides.Values, acceptUnsafe: parse.GetValue(understood), Console.Error, ct),
                e => e is HttpRequestException or Transparency.LogUnavailableException);
        });
        return acceptLog;
    }
}
