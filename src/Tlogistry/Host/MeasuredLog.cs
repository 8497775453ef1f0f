using System.Diagnostics;
using System.Runtime.CompilerServices;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Host;

/// <summary>
/// Wraps whichever log is configured so that every call is timed and traced in one place,
/// whatever the log: append (a first sighting), search (a store miss) and read (rebuild).
/// A call that fails is measured too: a log timing out is what the histogram is for.
/// </summary>
internal sealed class MeasuredLog : ITransparencyLog
{
    private readonly ITransparencyLog _inner;
    private readonly TlogistryMetrics _metrics;

    public MeasuredLog(ITransparencyLog inner, TlogistryMetrics metrics)
    {
        _inner = inner;
        _metrics = metrics;
    }

    public string Description => _inner.Description;

    public byte[] LogId => _inner.LogId;

    public bool FindsLostPins => _inner.FindsLostPins;

    public Task CheckAsync(CancellationToken cancellationToken) => _inner.CheckAsync(cancellationToken);

    public async Task<TlogEntry> AppendAsync(DsseEnvelope envelope, SignerMaterial signer, CancellationToken cancellationToken)
    {
        using var activity = TlogistryTracing.Source.StartActivity("log.append", ActivityKind.Internal);
        var start = Stopwatch.GetTimestamp();
        try
        {
            var entry = await _inner.AppendAsync(envelope, signer, cancellationToken);
            activity?.SetTag("tlogistry.log_index", entry.LogIndex);
            return entry;
        }
        catch (Exception e) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            _metrics.LogCall("append", start);
        }
    }

    public IAsyncEnumerable<LogRecord> SearchAsync(string reference, SignerMaterial signer, CancellationToken cancellationToken) =>
        MeasureAsync("search", "log.search", _inner.SearchAsync(reference, signer, cancellationToken), cancellationToken);

    public IAsyncEnumerable<LogRecord> ReadFromAsync(long startIndex, IReadOnlyList<SignerMaterial> signers, CancellationToken cancellationToken) =>
        MeasureAsync("read", "log.read", _inner.ReadFromAsync(startIndex, signers, cancellationToken), cancellationToken);

    /// <summary>Times a listing from its first request to its end, the caller's own work between records included.</summary>
    private async IAsyncEnumerable<LogRecord> MeasureAsync(string operation, string spanName, IAsyncEnumerable<LogRecord> records, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var activity = TlogistryTracing.Source.StartActivity(spanName, ActivityKind.Internal);
        var start = Stopwatch.GetTimestamp();
        try
        {
            await foreach (var record in records.WithCancellation(cancellationToken))
            {
                yield return record;
            }
        }
        finally
        {
            _metrics.LogCall(operation, start);
        }
    }
}
