using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Client.Audit;

/// <summary>What <c>tlogistry audit</c> was asked.</summary>
/// <param name="ProxyGiven">True when --proxy was given: with --data-dir, the published bundles then come from it rather than the data directory's store.</param>
/// <param name="Log">The log to scan; null: the one the proxy says it records in (with --data-dir and no --proxy, its embedded log).</param>
/// <param name="ProgressEvery">A progress line on the error stream after every this many entries.</param>
internal sealed record AuditRequest(long From, Uri Proxy, bool ProxyGiven, LogChoice? Log, string? DataDir, bool Json, TrustFlags Trust, int ProgressEvery);

/// <summary>
/// <c>tlogistry audit</c>: a monitor. It scans the log from an index with the same
/// <see cref="ITransparencyLog.ReadFromAsync"/> a store rebuild uses (the embedded log's files or
/// tiles, a tiles log over HTTP, Rekor v1 by a search for our key), keeps the entries our signer
/// made (read by the service's <see cref="SightingReader"/>; entries of others are skipped, but
/// an entry whose log evidence does not verify is a finding, never "someone else's"), reads every
/// bundle the proxy publishes, requires each one of the scanned log to be among the entries read
/// and its checkpoint to be extended by the log's current one, and reports through <see cref="AuditReport"/>.
/// </summary>
internal static class LogMonitor
{
    /// <summary>Writes the report; 0 when there is nothing to report, 1 otherwise.</summary>
    public static async Task<int> RunAsync(AuditRequest request, TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        if (request.From < 0 || request.ProgressEvery < 1)
        {
            throw new ClientException("--from must be a log index (0 or more) and --progress-every at least 1");
        }

        var servers = request.Trust.LoadServerCertificates();
        using var proxy = new ProxyClient(request.Proxy, servers);
        var trust = request.DataDir is { } dataDir ? ClientTrust.FromDataDir(request.Trust, dataDir) : await ClientTrust.FromProxyAsync(request.Trust, proxy, cancellationToken);
        using var http = servers.JsonClient();
        var tally = new AuditTally();

        // The published bundles first: the scan then keeps whole only the entries none of them
        // holds, and the log is opened after them, so a data directory's log read beside a
        // running proxy holds every entry a bundle read here was made from.
        var published = await ReadPublishedAsync(request, proxy, trust, tally, cancellationToken);
        var (log, owned) = await OpenLogAsync(request, trust, proxy, http, cancellationToken);
        using (owned)
        {
            var verifier = new BundleVerifier(trust.Root);
            var findings = new List<LogFinding>();

            // Named as the bundles are (LogName): a log read over tiles has a log ID of its own,
            // but its bundles name it by its key, and must still be compared with what was read.
            var logId = LogName(log.LogId, trust.Root);
            var mine = published.Where(p => p.LogId == logId).ToList();

            // Keyed by the bundles' own strings, so the scan keeps nothing of its own per entry.
            var scanned = new Dictionary<string, bool>(mine.Count, StringComparer.Ordinal);
            foreach (var p in mine)
            {
                scanned[p.Uuid] = false;
            }

            var entries = new Dictionary<OurEntry, TlogEntry>(ReferenceEqualityComparer.Instance);
            long read = 0;
            try
            {
                await foreach (var record in log.ReadFromAsync(request.From, trust.Reader.SearchKeys, cancellationToken))
                {
                    var uuid = Convert.ToHexStringLower(Rfc6962.LeafHash(record.Entry.CanonicalizedBody));
                    if (scanned.ContainsKey(uuid))
                    {
                        scanned[uuid] = true;
                    }

                    try
                    {
                        verifier.VerifyEntry(record.Entry, DateTimeOffset.UtcNow);
                    }
                    catch (LogVerificationException e)
                    {
                        findings.Add(new LogFinding(LogFindingKind.UnverifiedEntry, record.Entry.LogIndex, uuid, e.Message));
                        continue;
                    }

                    // An entry no bundle holds is kept whole: an intent may explain it.
                    if (Ours(record, uuid, trust) is { } entry && tally.Add(entry))
                    {
                        entries[entry] = record.Entry;
                    }

                    if (++read % request.ProgressEvery == 0)
                    {
                        await progress.WriteLineAsync($"audit: {read} entries read (log index {record.Entry.LogIndex}), {tally.Ours} of ours");
                    }
                }
            }
            catch (Exception e) when (e is LogUnavailableException or LogVerificationException or InvalidDataException or IOException or FormatException)
            {
                throw new ClientException($"cannot read {log.Description}: {e.Message}", e);
            }

            // Every verifying published bundle of the scanned log from --from on must be among the
            // entries read, and the log's current checkpoint must extend the one it was proven against.
            await CheckPublishedAsync(log, owned, trust, mine, scanned, findings, cancellationToken);

            // Entries no bundle holds may be a stopped first sighting's: its published intent says what it records.
            var byIntent = new List<Sighting>();
            if (tally.Loose.Count > 0)
            {
                var match = new IntentMatch(await IntentsAsync(request, proxy, cancellationToken), trust.Reader);
                byIntent.AddRange(tally.Loose.Select(o => match.Explain(o, entries[o])).OfType<Sighting>());
            }

            var report = tally.Report(read, findings, byIntent);
            await output.WriteAsync(request.Json ? AuditOutput.Json(report) : AuditOutput.Text(report, request.From));
            return report.IsClean ? 0 : 1;
        }
    }

    /// <summary>A verifying published bundle: where it says its entry is, and the checkpoint it was proven against.</summary>
    private sealed record MineBundle(string LogId, long LogIndex, string Uuid, TagReference Reference, Checkpoint? Seen);

    /// <summary>Reads every published bundle into <paramref name="tally"/>; returns the verifying ones from <c>--from</c> on.</summary>
    private static async Task<List<MineBundle>> ReadPublishedAsync(AuditRequest request, ProxyClient proxy, ClientTrust trust, AuditTally tally, CancellationToken cancellationToken)
    {
        var verified = new List<MineBundle>();
        await foreach (var bundle in PublishedAsync(request, proxy, cancellationToken))
        {
            var p = Read(bundle, trust.Reader, trust.Root);
            tally.Add(p);
            if (p.Sighting is { } sighting && p.LogIndex >= request.From)
            {
                var proof = sighting.Bundle.Entry.InclusionProof;
                verified.Add(new MineBundle(tally.Shared(p.LogId), p.LogIndex, p.Uuid, sighting.Reference, proof is null ? null : Checkpoint.Parse(SignedNote.Parse(proof.Checkpoint).Text)));
            }
        }

        return verified;
    }

    /// <summary>
    /// After the scan: each published bundle of the scanned log must be among the entries read
    /// (<paramref name="scanned"/>), and the log's current checkpoint, read now, must extend the
    /// one it was proven against. A current checkpoint the log's key did not sign is a finding,
    /// and then nothing else is checked.
    /// </summary>
    private static async Task CheckPublishedAsync(ITransparencyLog log, IDisposable? owned, ClientTrust trust, List<MineBundle> mine, Dictionary<string, bool> scanned, List<LogFinding> findings, CancellationToken cancellationToken)
    {
        if (mine.Count == 0)
        {
            return;
        }

        ICheckpointSource? source = log as ICheckpointSource ?? (owned is EmbeddedLog embedded ? new EmbeddedCheckpoints(embedded) : null);
        var trusted = trust.Root.FindLog(log.LogId);
        Checkpoint? current = null;
        if (source is not null && trusted is not null)
        {
            try
            {
                current = CheckpointVerifier.Verify(trusted, await source.ReadCheckpointAsync(cancellationToken));
            }
            catch (NoteVerificationException e)
            {
                findings.Add(new LogFinding(LogFindingKind.Inconsistent, -1, "", $"the current checkpoint of {source.Description} is not signed by the log's key: {e.Message}"));
                return;
            }
        }

        // Bundles of one batch share a checkpoint: one proof serves the run of them.
        (Checkpoint Seen, string? Why)? last = null;
        foreach (var p in mine)
        {
            if (!scanned[p.Uuid])
            {
                findings.Add(new LogFinding(LogFindingKind.NotInLog, p.LogIndex, p.Uuid, $"the published bundle of {p.Reference} is not among the entries read from {log.Description}"));
                continue;
            }

            if (current is null || p.Seen is not { } seen)
            {
                continue;
            }

            string? why;
            if (last is { } known && known.Seen.Size == seen.Size && known.Seen.RootHash.AsSpan().SequenceEqual(seen.RootHash) && known.Seen.Origin == seen.Origin)
            {
                why = known.Why;
            }
            else
            {
                (why, var settled) = await InconsistencyAsync(source!, seen, current, cancellationToken);
                last = settled ? (seen, why) : null;
            }

            if (why is not null)
            {
                findings.Add(new LogFinding(LogFindingKind.Inconsistent, p.LogIndex, p.Uuid, why));
            }
        }
    }

    /// <summary>
    /// Why <paramref name="current"/> does not extend <paramref name="seen"/> (null when it does),
    /// and whether that answer holds for the next bundle too (a log that could not answer now may later).
    /// </summary>
    private static async Task<(string? Why, bool Settled)> InconsistencyAsync(ICheckpointSource source, Checkpoint seen, Checkpoint current, CancellationToken cancellationToken)
    {
        try
        {
            var consistency = Consistency.NeedsProof(seen, current) ? await source.ConsistencyProofAsync(seen.Size, current.Size, cancellationToken) : null;
            Consistency.Require(seen, current, consistency);
            return (null, true);
        }
        catch (Exception e) when (e is LogConsistencyException or LogVerificationException)
        {
            return (e.Message, true);
        }
        catch (LogUnavailableException e)
        {
            return (e.Message, false);
        }
    }

    /// <summary>The entry (whose log evidence the scan has verified, and whose leaf hash is <paramref name="uuid"/>) as ours, or null for someone else's.</summary>
    private static OurEntry? Ours(LogRecord record, string uuid, ClientTrust trust)
    {
        var entry = record.Entry;
        var logId = LogName(entry.LogId, trust.Root);
        if (record.Envelope is { } envelope)
        {
            try
            {
                var sighting = trust.Reader.Read(trust.Reader.Bundle(entry, envelope));
                return new OurEntry(logId, entry.LogIndex, uuid, entry.Kind, sighting);
            }
            catch (Exception e) when (e is FormatException or LogVerificationException)
            {
                return null;
            }
        }

        // A log that keeps a hash (Rekor v2): ours when the body names one of our keys (the log's
        // own evidence for it was verified by the scan); only a published bundle can say what it records.
        try
        {
            var signers = EntryBody.Parse(entry.CanonicalizedBody, entry.Kind, entry.Version).Signers;
            if (!signers.Any(s => !s.IsCertificate && trust.Keys.Any(k => k.AsSpan().SequenceEqual(s.PublicKeyDer))))
            {
                return null;
            }

            return new OurEntry(logId, entry.LogIndex, uuid, $"{entry.Kind} {entry.Version}", null);
        }
        catch (Exception e) when (e is FormatException or LogVerificationException)
        {
            return null;
        }
    }

    /// <summary>
    /// One name per log: a log served over two APIs (<c>log serve</c>: Rekor v1 and tiles) has two
    /// log IDs for one key, and an entry written through one and read through the other is the
    /// same entry. A trusted log is named by the SHA-256 of its key (its Rekor v1 ID).
    /// </summary>
    private static string LogName(byte[] logId, TrustedRoot root) =>
        Convert.ToHexStringLower(root.FindLog(logId) is { } log ? LogIds.ForRekorV1(log.PublicKeyDer) : logId);

    private static PublishedBundle Read(SigstoreBundle bundle, SightingReader reader, TrustedRoot root)
    {
        var entry = bundle.Entry;
        var logId = LogName(entry.LogId, root);
        var uuid = Convert.ToHexStringLower(Rfc6962.LeafHash(entry.CanonicalizedBody));
        try
        {
            return new PublishedBundle(logId, entry.LogIndex, uuid, reader.Read(bundle), null);
        }
        catch (Exception e) when (e is FormatException or LogVerificationException)
        {
            return new PublishedBundle(logId, entry.LogIndex, uuid, null, e.Message);
        }
    }

    /// <summary>The published bundles: the proxy's export, or with --data-dir (and no --proxy) the store itself.</summary>
    private static async IAsyncEnumerable<SigstoreBundle> PublishedAsync(AuditRequest request, ProxyClient proxy, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (request.DataDir is null || request.ProxyGiven)
        {
            await foreach (var bundle in proxy.ExportAsync(cancellationToken))
            {
                yield return bundle;
            }

            yield break;
        }

        var path = Path.Combine(request.DataDir, "index.db");
        if (!File.Exists(path))
        {
            throw new ClientException($"{request.DataDir} holds no sighting store (index.db); name the proxy whose bundles to compare with --proxy");
        }

        var index = new SqliteSightingIndex(path);
        for (long? after = 0; after is long position;)
        {
            var page = await index.ListAsync(position, 1000, cancellationToken);
            foreach (var sighting in page.Sightings)
            {
                yield return sighting.Bundle;
            }

            after = page.Next;
        }
    }

    /// <summary>The published intents: the proxy's, or with --data-dir (and no --proxy) the store's own.</summary>
    private static async Task<IReadOnlyList<AppendIntent>> IntentsAsync(AuditRequest request, ProxyClient proxy, CancellationToken cancellationToken)
    {
        if (request.DataDir is null || request.ProxyGiven)
        {
            return await proxy.IntentsAsync(cancellationToken);
        }

        var index = new SqliteSightingIndex(Path.Combine(request.DataDir, "index.db"));
        var intents = new List<AppendIntent>();
        try
        {
            for (long? after = 0; after is long position;)
            {
                var page = await index.ListIntentsAsync(position, 1000, unpinnedOnly: false, cancellationToken);
                intents.AddRange(page.Intents);
                after = page.Next;
            }
        }
        catch (FormatException e)
        {
            throw new ClientException($"{request.DataDir} holds an intent that is not readable: {e.Message}", e);
        }

        return intents;
    }

    /// <summary>The log to scan, and what must be disposed after (an embedded log opened from files).</summary>
    private static async Task<(ITransparencyLog Log, IDisposable? Owned)> OpenLogAsync(AuditRequest request, ClientTrust trust, ProxyClient proxy, HttpClient http, CancellationToken cancellationToken)
    {
        var rekor = JsonHttpOptions.ForRekor();
        try
        {
            if (request.Log is null && request.DataDir is null)
            {
                // The proxy says which log it records in; the trusted root gives that log's public URL.
                var published = await proxy.PublishedLogAsync(cancellationToken);
                if (published.Kind != LogKind.Embedded)
                {
                    var trustedLog = trust.Root.FindLog(published.LogId)
                        ?? throw new ClientException($"{proxy.BaseUrl} records sightings in log {Convert.ToHexStringLower(published.LogId)}, which the trusted root does not list");
                    var url = Verify.LogSources.UrlOf(trustedLog)
                        ?? throw new ClientException($"the trusted root names log {Convert.ToHexStringLower(published.LogId)} at {trustedLog.BaseUrl}, not an http(s) URL; pass --log");
                    return OpenRekor(new LogChoice(published.Kind, url), published.LogId, trust, http, rekor);
                }
            }

            switch ((request.Log ?? new LogChoice(LogKind.Embedded, null)).Kind)
            {
                case LogKind.Embedded when request.DataDir is { } dataDir:
                    // Read-only: the service may be appending to these files right now.
                    var embedded = EmbeddedLog.OpenReadOnly(Path.Combine(dataDir, "log"), NullLogger.Instance);
                    return (new EmbeddedSightingLog(embedded, TimeProvider.System), embedded);
                case LogKind.Embedded:
                    // The proxy serves its embedded log over the tiles read API; the checkpoint's
                    // origin names the log, which the trusted root must list.
                    var origin = Checkpoint.Parse(SignedNote.Parse(await proxy.CheckpointAsync(cancellationToken)).Text).Origin;
                    var trusted = trust.Root.FindByOrigin(origin)
                        ?? throw new ClientException($"the log {origin} that {proxy.BaseUrl} serves is not in the trusted root");
                    return (new RekorV2Log(proxy.BaseUrl, trusted.LogId, http, rekor, NullLogger<RekorV2Log>.Instance), null);
                default:
                    return OpenRekor(request.Log!, request.Log!.FindLogId(trust.Root), trust, http, rekor);
            }
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ClientException(e.Message, e);
        }
    }

    private static (ITransparencyLog Log, IDisposable? Owned) OpenRekor(LogChoice choice, byte[] logId, ClientTrust trust, HttpClient http, JsonHttpOptions rekor)
    {
        if (choice.Kind == LogKind.RekorV2)
        {
            return (new RekorV2Log(choice.Url!, logId, http, rekor, NullLogger<RekorV2Log>.Instance), null);
        }

        if (trust.Keys.Count == 0)
        {
            throw new ClientException("keyless sightings cannot be listed from Rekor v1 (it is searched by key, and keyless keys are ephemeral)");
        }

        return (new RekorV1Log(choice.Url!, logId, http, rekor, NullLogger<RekorV1Log>.Instance), null);
    }
}
