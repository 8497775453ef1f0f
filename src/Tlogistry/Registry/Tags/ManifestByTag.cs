using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Ledger;
using Tlogistry.Moves;
using Tlogistry.Oci;
using Tlogistry.Policy;
using Tlogistry.Registry.Manifests;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.Tags;

/// <summary>
/// A manifest by tag: the tag policy first (a mutable tag is served as upstream has it and
/// never reaches the ledger), then resolve upstream, take a first sighting from the client's
/// budget, consult the ledger, and serve, refuse, or serve the pinned manifest. A pinned tag
/// confirmed within the revalidation window, or whose upstream fails to answer, is answered
/// from its held manifest (<see cref="HeldPins"/>).
/// </summary>
internal sealed class ManifestByTag
{
    private readonly TagManifests _manifests;
    private readonly TagLedger _ledger;
    private readonly TagPolicy _tagPolicy;
    private readonly UnavailablePolicy _onUnavailable;
    private readonly FirstSightingLimiter? _firstSightings;
    private readonly UpstreamRecord _record;
    private readonly HeldPins _held;
    private readonly MoveRecorder? _moves;
    private readonly ILogger _logger;

    public ManifestByTag(
        TagManifests manifests,
        TagLedger ledger,
        TagPolicy tagPolicy,
        UnavailablePolicy onUnavailable,
        FirstSightingLimiter? firstSightings,
        UpstreamRecord record,
        HeldPins held,
        ILogger logger,
        MoveRecorder? moves = null)
    {
        _held = held;
        _moves = moves;
        _manifests = manifests;
        _ledger = ledger;
        _tagPolicy = tagPolicy;
        _onUnavailable = onUnavailable;
        _firstSightings = firstSightings;
        _record = record;
        _logger = logger;
    }

    public async Task ServeAsync(HttpContext context, ImageReference tagged, CancellationToken ct)
    {
        var head = HttpMethods.IsHead(context.Request.Method);
        var name = tagged.Name;
        var tag = tagged.Tag!;
        var reference = tagged.Canonical;
        var pinned = tagged.AsTag!;
        var rule = _tagPolicy.For(name.Registry, tag);
        if (rule.Mutable)
        {
            await ServeMutableAsync(context, name, tag, head, ct);
            return;
        }

        var headers = context.Response.Headers;
        if (_held.Fresh(pinned) && _ledger.CachedPin(pinned) is { } confirmed
            && await _held.ReadAsync(pinned, confirmed, _manifests.UrlFor(name, confirmed.Digest.ToString()), ct) is { } fresh)
        {
            PinHeaders.Set(headers, confirmed);
            RequestOutcome.Set(context, RequestOutcome.Served);
            await ManifestResponse.WriteAsync(context, fresh, head, ct);
            return;
        }

        UpstreamManifest manifest;
        try
        {
            manifest = head ? await _manifests.HeadAsync(name, tag, ct) : await _manifests.FetchWarmAsync(name, tag, reference, ct);
        }
        catch (UpstreamException e) when (e.FailedToAnswer && _held.Settings.ServeOnUpstreamError)
        {
            if (!await ServeStaleAsync(context, name, pinned, head, e, ct))
            {
                throw;
            }

            return;
        }

        RequestOutcome.SetUpstreamStatus(context, 200);
        _manifests.Keep(name, manifest);

        LedgerDecision decision;
        try
        {
            // A tag with no pin would be a new log entry: it draws on the client's budget of
            // first sightings, and one over budget appends nothing.
            if ((manifest.Bytes is null || _firstSightings is not null) && _ledger.CachedPin(pinned) is null && await _ledger.FindPinAsync(pinned, ct) is null)
            {
                if (_firstSightings is not null && !_firstSightings.TryAcquire(context.Connection.RemoteIpAddress, reference, out var retryAfter))
                {
                    await RefuseFirstSightingAsync(context, reference, retryAfter, ct);
                    return;
                }

                // A first sighting pins only a digest computed from bytes we read ourselves: a HEAD
                // of a tag with no pin yet fetches the manifest.
                if (manifest.Bytes is null)
                {
                    manifest = await _manifests.GetAsync(name, tag, ct);
                }
            }

            decision = await _ledger.ObserveAsync(new Observation(pinned, Digest.Parse(manifest.Digest), manifest.MediaType, _record.For(name, tag, manifest.Url)), ct);
        }
        catch (LedgerUnavailableException e) when (_onUnavailable == UnavailablePolicy.ServeUnverifiedUnsafe)
        {
            RegistryLog.ServedUnverified(_logger, reference, manifest.Digest, e.Message);
            headers["Tlog-Unverified"] = "true";
            await ManifestResponse.WriteAsync(context, manifest, head, ct);
            RequestOutcome.Set(context, RequestOutcome.Unverified);
            return;
        }

        if (decision.Outcome == PinOutcome.Mismatch && rule.OnMismatch == MismatchPolicy.ServePinned)
        {
            // Read before any header is set: if the pinned manifest cannot be had, the answer is an error alone.
            var pinnedManifest = await _manifests.FetchPinnedAsync(context, name, reference, manifest.Digest, decision.Pin.Digest.ToString(), ct);
            RegistryLog.ServedPinned(_logger, reference, manifest.Digest, decision.Pin.Digest.ToString());
            await RecordMoveAsync(pinned, decision.Pin, manifest.Digest, Store.MoveAnswer.ServedPinned);
            PinHeaders.Set(headers, decision.Pin);
            headers["Tlog-Mismatch"] = manifest.Digest;
            RequestOutcome.Set(context, RequestOutcome.ServedPinned);
            await ManifestResponse.WriteAsync(context, pinnedManifest, head, ct);
            return;
        }

        PinHeaders.Set(headers, decision.Pin);
        if (decision.Outcome == PinOutcome.Mismatch)
        {
            RegistryLog.Mismatch(_logger, reference, manifest.Digest, decision.Pin.Digest.ToString());
            await RecordMoveAsync(pinned, decision.Pin, manifest.Digest, Store.MoveAnswer.Refused);
            await MovedTagRefusal.WriteAsync(context, reference, manifest.Digest, decision.Pin, ct);
            return;
        }

        if (decision.Outcome == PinOutcome.FirstSeen)
        {
            headers["Tlog-First-Seen"] = "true";
        }

        await _held.ConfirmedAsync(pinned, decision.Pin, manifest, ct, firstSeen: decision.Outcome == PinOutcome.FirstSeen);

        RequestOutcome.Set(context, decision.Outcome == PinOutcome.FirstSeen ? RequestOutcome.FirstSeen : RequestOutcome.Served);
        await ManifestResponse.WriteAsync(context, manifest, head, ct);
    }

    /// <summary>The move goes on record before the answer, so whoever reads the record after the answer finds it; the recorder never throws.</summary>
    private Task RecordMoveAsync(TagReference tag, Store.Sighting pin, string upstreamDigest, Store.MoveAnswer answer) =>
        _moves is null || !Digest.TryParse(upstreamDigest, out var upstream, out _)
            ? Task.CompletedTask
            : _moves.RecordAsync(tag, pin.Digest, upstream, pin.LogIndex, answer);

    /// <summary>
    /// Upstream failed to answer for a tag: its pin's held manifest, marked <c>Tlog-Stale</c>,
    /// when the tag has a pin and held bytes that hash to it; false (the failure is the answer)
    /// otherwise, and when the store cannot say what the pin is.
    /// </summary>
    private async Task<bool> ServeStaleAsync(HttpContext context, ImageName name, TagReference pinned, bool head, UpstreamException failure, CancellationToken ct)
    {
        // The store is asked for a pin only when something is held for the tag.
        if (await _held.FindAsync(pinned, ct) is not { } row)
        {
            return false;
        }

        Store.Sighting? pin;
        try
        {
            pin = _ledger.CachedPin(pinned) ?? await _ledger.FindPinAsync(pinned, ct);
        }
        catch (LedgerUnavailableException)
        {
            return false;
        }

        if (pin is null || _held.Verify(row, pin, _manifests.UrlFor(name, pin.Digest.ToString())) is not { } held)
        {
            return false;
        }

        if (failure.UpstreamStatus is int status)
        {
            RequestOutcome.SetUpstreamStatus(context, status);
        }

        RegistryLog.ServedStale(_logger, pinned.Canonical, held.Digest, failure.Message);
        PinHeaders.Set(context.Response.Headers, pin);
        context.Response.Headers["Tlog-Stale"] = "true";
        RequestOutcome.Set(context, RequestOutcome.ServedStale);
        await ManifestResponse.WriteAsync(context, held, head, ct);
        return true;
    }

    /// <summary>429 with Retry-After: the client's budget of new entries is spent, and nothing was recorded.</summary>
    private async Task RefuseFirstSightingAsync(HttpContext context, string reference, TimeSpan retryAfter, CancellationToken ct)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        RegistryLog.FirstSightingLimited(_logger, reference, FirstSightingLimiter.ClientKey(context.Connection.RemoteIpAddress));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await OciResponses.WriteErrorAsync(
            context,
            429,
            new OciError(OciErrorCodes.TooManyRequests, string.Create(CultureInfo.InvariantCulture, $"{reference} has never been seen, and this address has used its {_firstSightings!.Burst} first sightings ({_firstSightings.PerMinute} a minute); nothing was recorded; retry after {seconds} s")),
            RequestOutcome.RateLimited,
            ct);
    }

    /// <summary>
    /// A mutable tag: upstream's manifest as it is now, marked <c>Tlog-Mutable</c>. Nothing is
    /// pinned or logged, and a pin the tag got before it became mutable is left as it is.
    /// </summary>
    private async Task ServeMutableAsync(HttpContext context, ImageName name, string tag, bool head, CancellationToken ct)
    {
        var manifest = head ? await _manifests.HeadAsync(name, tag, ct) : await _manifests.GetAsync(name, tag, ct);
        RequestOutcome.SetUpstreamStatus(context, 200);
        _manifests.Keep(name, manifest);
        context.Response.Headers["Tlog-Mutable"] = "true";
        RequestOutcome.Set(context, RequestOutcome.Mutable);
        await ManifestResponse.WriteAsync(context, manifest, head, ct);
    }
}
