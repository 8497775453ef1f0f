using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Ledger;
using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;

namespace Tlogistry.Host;

/// <summary>
/// <c>tlogistry index accept-log</c>: the operator's way past a log that went back (deleted,
/// restored from an older copy, forked). It prints the checkpoint the store remembers, the
/// log's current one and every sighting the store holds that the embedded log no longer
/// does (their tags can then be pinned anew); only with <c>--i-understand</c> does it forget
/// those rows and remember the current checkpoint, so the next start accepts the log.
/// </summary>
internal static class AcceptLog
{
    /// <param name="acceptUnsafe">
    /// <c>--i-understand</c>: forget the sightings listed and remember the current checkpoint, so the
    /// log that went back is accepted and their tags can be pinned to whatever upstream has now.
    /// </param>
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> overrides, bool acceptUnsafe, TextWriter output, CancellationToken cancellationToken)
    {
        await using var app = await TlogistryApp.BuildAsync(overrides, [], cancellationToken, serving: false);
        var history = app.Services.GetRequiredService<LogHistory>();
        var index = app.Services.GetRequiredService<ISightingIndex>();
        var log = app.Services.GetRequiredService<ITransparencyLog>();
        var (current, note) = await history.CurrentAsync(cancellationToken);
        var remembered = await history.RememberedAsync(cancellationToken);
        await output.WriteLineAsync(remembered is null
            ? $"accept-log: the store remembers no checkpoint of {current.Origin}"
            : $"accept-log: the store remembers {current.Origin} at size {remembered.Size}, root {Convert.ToBase64String(remembered.RootHash)}");
        await output.WriteLineAsync($"accept-log: {history.Description} is now at size {current.Size}, root {Convert.ToBase64String(current.RootHash)}");

        // Only the embedded log can be read entry by entry here; a Rekor log's pins keep
        // verifying against the checkpoints in their own bundles, so none is forgotten.
        var embedded = app.Services.GetService<LogChoice>()?.Kind == LogKind.Embedded ? app.Services.GetRequiredService<EmbeddedLog>() : null;
        var forget = embedded is null ? [] : await NotInLogAsync(index, embedded, Convert.ToHexStringLower(log.LogId), cancellationToken);
        foreach (var s in forget)
        {
            await output.WriteLineAsync($"accept-log: will forget {s.Reference} -> {s.Digest} (log index {s.LogIndex}, no longer in the log; the tag can be pinned anew)");
        }

        if (!acceptUnsafe)
        {
            await output.WriteLineAsync($"accept-log: nothing changed; run again with --i-understand to forget {forget.Count} sightings and accept the log at size {current.Size}");
            return 1;
        }

        foreach (var s in forget)
        {
            await index.ForgetAsync(s, cancellationToken);

            // Its intent made an entry of the log that is gone: sending it again would pin the old digest anew.
            await index.ForgetIntentAsync(s.Reference, cancellationToken);
        }

        await index.RememberCheckpointAsync(RememberedCheckpoint.Of(history.Key, current, note), replace: true, cancellationToken);

        // The log's entries where forgotten rows were (a fork) may be sightings the store lacks:
        // the next start reads the log from the first of them, or from the log's end if it only shrank.
        var logId = Convert.ToHexStringLower(log.LogId);
        var through = Math.Min(await index.ReconciledThroughAsync(logId, cancellationToken), forget.Select(s => s.LogIndex).Append(current.Size).Min());
        await index.MarkReconciledAsync(logId, through, replace: true, cancellationToken);

        // A stamp says a row was proven against the checkpoint remembered then; that one is gone.
        await index.ClearStampsAsync(cancellationToken);
        await output.WriteLineAsync($"accept-log: done; {forget.Count} sightings forgotten, the store now remembers size {current.Size}");
        return 0;
    }

    /// <summary>The store's sightings in this log whose entry the log does not hold (beyond its size, or another leaf at that index).</summary>
    private static async Task<List<Sighting>> NotInLogAsync(ISightingIndex index, EmbeddedLog log, string logId, CancellationToken cancellationToken)
    {
        var checkpoint = log.LatestCheckpoint;
        var forget = new List<Sighting>();
        long after = 0;
        while (true)
        {
            var page = await index.ListAsync(after, 500, cancellationToken);
            foreach (var s in page.Sightings.Where(s => s.LogId == logId))
            {
                if (s.LogIndex >= checkpoint.Checkpoint.Size
                    || !log.ReadLeaf(s.LogIndex, checkpoint).AsSpan().SequenceEqual(s.Bundle.Entry.CanonicalizedBody))
                {
                    forget.Add(s);
                }
            }

            if (page.Next is not { } next)
            {
                return forget;
            }

            after = next;
        }
    }
}
