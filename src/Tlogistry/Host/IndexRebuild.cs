using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Ledger;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Host;

/// <summary>
/// <c>tlogistry index rebuild</c>: fills the sighting store from the log (embedded: a scan of
/// its tiles; Rekor v1: a search for this instance's key) or from a bundle export (any log;
/// the only way for Rekor v2, which keeps just a hash). Every entry is verified first.
/// </summary>
internal static class IndexRebuild
{
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> overrides, string? from, TextWriter progressOut, CancellationToken cancellationToken)
    {
        await using var app = await TlogistryApp.BuildAsync(overrides, [], cancellationToken, reconcile: false);
        var ledger = app.Services.GetRequiredService<TagLedger>();
        var progress = new Progress(progressOut);
        int added;
        if (string.IsNullOrEmpty(from))
        {
            if (app.Services.GetService<Signing.Keyless.KeylessSigner>() is not null && app.Services.GetRequiredService<LogChoice>().Kind == LogKind.RekorV1)
            {
                // Rekor v1 lists entries by key, and keyless keys live for one process only.
                throw new NotSupportedException("keyless sightings cannot be listed from Rekor v1 by key; rebuild from a bundle export with --from (tags are still found one by one by search)");
            }

            added = await ledger.RebuildAsync(0, progress, cancellationToken);
        }
        else
        {
            added = await ledger.ImportAsync(ReadExportAsync(from, cancellationToken), progress, cancellationToken);
        }

        progress.Done(added);
        foreach (var conflict in ledger.Conflicts)
        {
            await progressOut.WriteLineAsync("index rebuild: conflict, two valid sightings disagree (the stored one stays): " + conflict);
        }

        return ledger.Conflicts.Count == 0 ? 0 : 1;
    }

    /// <summary>Bundles from a file, or from a URL whose pages are followed through Link: rel="next".</summary>
    private static async IAsyncEnumerable<SigstoreBundle> ReadExportAsync(string from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(from, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            await using var file = File.OpenRead(from);
            await foreach (var bundle in BundleLines.ReadAsync(file, cancellationToken))
            {
                yield return bundle;
            }

            yield break;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        for (Uri? page = url; page is not null;)
        {
            using var response = await http.GetAsync(page, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{page} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                await foreach (var bundle in BundleLines.ReadAsync(body, cancellationToken))
                {
                    yield return bundle;
                }
            }

            page = NextPage(page, response);
        }
    }

    private static Uri? NextPage(Uri current, HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links)
        {
            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open >= 0 && close > open && link.Contains("rel=\"next\"", StringComparison.Ordinal))
            {
                return new Uri(current, link[(open + 1)..close]);
            }
        }

        return null;
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
