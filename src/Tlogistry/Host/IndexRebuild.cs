using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Ledger;
using Tlogistry.Transparency;

namespace Tlogistry.Host;

/// <summary>
/// <c>tlogistry index rebuild</c>: fills the sighting store from the log (embedded: a scan of
/// its tiles; Rekor v1: a search for each configured key) or from a bundle export (any log;
/// the only way for Rekor v2, which keeps just a hash). Every entry is verified first; one
/// that no configured key or identity verifies is reported and makes the exit status 1.
/// </summary>
internal static class IndexRebuild
{
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> overrides, string? from, TextWriter progressOut, CancellationToken cancellationToken)
    {
        await using var app = await TlogistryApp.BuildAsync(overrides, [], cancellationToken, serving: false);
        // A log that went back would hand the store entries at indexes it already holds.
        await app.Services.GetRequiredService<LogHistory>().CheckAtStartAsync(cancellationToken);
        var ledger = app.Services.GetRequiredService<TagLedger>();
        var progress = new Progress(progressOut);
        int added;
        if (string.IsNullOrEmpty(from))
        {
            var log = app.Services.GetRequiredService<Transparency.ITransparencyLog>();
            if (!log.FindsLostPins)
            {
                throw new NotSupportedException($"{log.Description} keeps a hash of each sighting, not the sighting: rebuild the store by importing a bundle export with --from");
            }

            if (app.Services.GetService<Signing.Keyless.KeylessSigner>() is not null && app.Services.GetRequiredService<LogChoice>().Kind == LogKind.RekorV1)
            {
                // Rekor v1 lists entries by key, and keyless keys live for one process only.
                throw new NotSupportedException("keyless sightings cannot be listed from Rekor v1 by key; rebuild from a bundle export with --from (tags are still found one by one by search)");
            }

            added = await ledger.RebuildAsync(0, progress, cancellationToken);
        }
        else
        {
            added = await ledger.ImportAsync(Client.BundleExport.ReadAsync(from, cancellationToken), progress, cancellationToken);
        }

        progress.Done(added);
        foreach (var conflict in ledger.Conflicts)
        {
            await progressOut.WriteLineAsync("index rebuild: conflict, two valid sightings disagree (the earlier one is the pin): " + conflict);
        }

        // An entry no configured key or identity verifies may be a pin the store now lacks: a gap, never a clean finish.
        foreach (var gap in ledger.Unverifiable)
        {
            await progressOut.WriteLineAsync("index rebuild: not verifiable with the configured keys or identity, not restored: " + gap);
        }

        if (ledger.ConflictCount > ledger.Conflicts.Count)
        {
            await progressOut.WriteLineAsync($"index rebuild: {ledger.ConflictCount} conflicts in all, the first {ledger.Conflicts.Count} shown; every one is in the service log");
        }

        if (ledger.UnverifiableCount > 0)
        {
            await progressOut.WriteLineAsync($"index rebuild: {ledger.UnverifiableCount} entries were not restored; give every key the deployment ever signed with (--trusted-key) and run it again");
        }

        return ledger.ConflictCount == 0 && ledger.UnverifiableCount == 0 ? 0 : 1;
    }

    /// <summary>Reports on stderr at most once a second, and once at the end.</summary>
    private sealed class Progress : IProgress<long>
    {
        private readonly TextWriter _out;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _read;
        private long _last;
        private TimeSpan _shown;

        public Progress(TextWriter output) => _out = output;

        public void Report(long value)
        {
            _read++;
            _last = value;
            if (_clock.Elapsed - _shown >= TimeSpan.FromSeconds(1))
            {
                _shown = _clock.Elapsed;
                _out.WriteLine($"index rebuild: {_read} entries read (log index {_last})");
            }
        }

        public void Done(int added) => _out.WriteLine($"index rebuild: done, {_read} entries read, {added} sightings added");
    }
}
