using System.CommandLine;
using Tlogistry.Host;

namespace Tlogistry.Commands;

/// <summary><c>tlogistry index rebuild</c>: fills the sighting store from the log or a bundle export (<see cref="IndexRebuild"/>).</summary>
internal static class IndexRebuildCommand
{
    public static Command Create()
    {
        var data = new StoreOptions();
        var from = new Option<string?>("--from") { Description = "Import a bundle export (a file, or a URL such as http://proxy/tlog/bundles) instead of reading the log; required for Rekor v2." };
        var rebuild = new Command("rebuild", "Rebuild the sighting store from the log (embedded, Rekor v1) or from a bundle export (any log); every entry is verified.")
        {
            data.DataDir, data.Log, data.TrustedRoot, data.Store, from, data.Signer, data.TokenSource, data.Identity, data.Issuer, data.TrustedKey, data.LegacyLog, data.LegacyKey,
        };
        rebuild.SetAction((parse, ct) =>
        {
            var overrides = new SettingOverrides();
            data.Write(overrides, parse);
            data.WriteLegacy(overrides, parse);
            return Failures.RunOnceAsync(
                () => IndexRebuild.RunAsync(overrides.Values, parse.GetValue(from), Console.Error, ct),
                e => e is HttpRequestException or NotSupportedException);
        });
        return rebuild;
    }
}
