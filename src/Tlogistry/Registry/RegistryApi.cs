using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Policy;
using Tlogistry.Store;
using Tlogistry.Upstream;
using Tlogistry.Upstream.Guard;

namespace Tlogistry.Registry;

/// <summary>
/// The read-only registry API, top to bottom: parse the raw path into a route, then either
/// pass the request through to upstream (everything addressed by digest, tag lists,
/// referrers) or run a manifest-by-tag through the tag ledger before serving its exact bytes.
/// </summary>
internal sealed partial class RegistryApi : IDisposable
{
    private static readonly string[] PassThroughHeaders =
    [
        "Content-Length", "Content-Range", "Accept-Ranges", "Docker-Content-Digest",
        "ETag", "Last-Modified", "Cache-Control", "Expires", "OCI-Filters-Applied",
    ];

    private readonly RegistryClient _client;
    private readonly ManifestFetcher _manifests;
    private readonly ManifestCache _manifestCache;
    private readonly TagLedger _ledger;
    private readonly RegistryPolicy _registries;
    private readonly UpstreamEndpoints _endpoints;
    private readonly TagPolicy _tagPolicy;
    private readonly SemaphoreSlim _upstreamSlots;
    private readonly TimeSpan _slotWait;
    private readonly UnavailablePolicy _onUnavailable;
    private readonly FirstSightingLimiter? _firstSightings;
    private readonly UpstreamRecord _record;
    private readonly ILogger<RegistryApi> _logger;

    public RegistryApi(
        RegistryClient client,
        ManifestFetcher manifests,
        ManifestCache manifestCache,
        TagLedger ledger,
        RegistryPolicy registries,
        UpstreamEndpoints endpoints,
        TagPolicy tagPolicy,
        UpstreamOptions upstream,
        UnavailablePolicy onUnavailable,
        ILogger<RegistryApi> logger,
        FirstSightingLimiter? firstSightings = null,
        UpstreamRecord? record = null)
    {
        _firstSightings = firstSightings;
        _record = record ?? UpstreamRecord.Canonical;
        _client = client;
        _manifests = manifests;
        _manifestCache = manifestCache;
        _ledger = ledger;
        _registries = registries;
        _endpoints = endpoints;
        _tagPolicy = tagPolicy;
        _upstreamSlots = new SemaphoreSlim(Math.Max(1, upstream.MaxConcurrentRequests));
        _slotWait = upstream.ResponseTimeout;
        _onUnavailable = onUnavailable;
        _logger = logger;
    }

    public void Dispose() => _upstreamSlots.Dispose();

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        var rawPath = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var queryStart = rawPath.IndexOf('?', StringComparison.Ordinal);
        if (queryStart >= 0)
        {
            rawPath = rawPath[..queryStart];
        }

        var route = RegistryRoute.Parse(context.Request.Method, rawPath);
        RequestOutcome.SetRoute(context, RouteLabel(route));
        // A mapping's address is not a second name for the mapped registry: 400, like any other bad name.
        if (route.Name is { } addressed && _endpoints.Refusal(addressed.Registry) is { } notAName)
        {
            await OciResponses.WriteErrorAsync(context, 400, new OciError(OciErrorCodes.NameInvalid, notAName), RequestOutcome.ClientError, ct);
            return;
        }

        if (route.Name is { } target && _registries.Refusal(target.Registry) is { } refusal)
        {
            await OciResponses.WriteErrorAsync(context, 403, new OciError(OciErrorCodes.Denied, refusal), RequestOutcome.Denied, ct);
            return;
        }

        var slot = false;
        try
        {
            if (route.Name is not null)
            {
                // Bound the upstream work in flight; a client waits for a slot, not forever.
                slot = await _upstreamSlots.WaitAsync(_slotWait, ct);
                if (!slot)
                {
                    await OciResponses.WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, "too many upstream requests in flight; retry shortly"), RequestOutcome.Busy, ct);
                    return;
                }
            }

            switch (route.Kind)
            {
                case RouteKind.Base:
                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength = 2;
                    if (!HttpMethods.IsHead(context.Request.Method))
                    {
                        await context.Response.WriteAsync("{}", ct);
                    }

                    return;
                case RouteKind.Manifest when route.Reference is { IsDigest: false } byTag:
                    await ServeTagAsync(context, byTag, ct);
                    return;
                case RouteKind.Manifest when route.Reference is { Digest: { } digest } byDigest && IsWholeSha256(context, digest):
                    await ServeDigestAsync(context, byDigest.Name, digest.ToString(), ct);
                    return;
                case RouteKind.Manifest:
                    await PassThroughAsync(context, route, "manifests/" + route.Digest, OciErrorCodes.ManifestUnknown, manifest: true, ct);
                    return;
                case RouteKind.Blob:
                    await PassThroughAsync(context, route, "blobs/" + route.Digest, OciErrorCodes.BlobUnknown, manifest: false, ct);
                    return;
                case RouteKind.TagsList:
                    await PassThroughAsync(context, route, "tags/list" + Query(context, "n", "last"), OciErrorCodes.NameUnknown, manifest: false, ct);
                    return;
                case RouteKind.Referrers:
                    await PassThroughAsync(context, route, "referrers/" + route.Digest + Query(context, "artifactType"), OciErrorCodes.ManifestUnknown, manifest: false, ct);
                    return;
                default:
                    if (route.Kind == RouteKind.WriteAttempt)
                    {
                        context.Response.Headers.Allow = RegistryRoute.AllowedMethods;
                    }

                    await OciResponses.WriteErrorAsync(context, route.StatusCode, route.Error!, RequestOutcome.ClientError, ct);
                    return;
            }
        }
        catch (UpstreamException e)
        {
            if (e.UpstreamStatus is int upstreamStatus)
            {
                RequestOutcome.SetUpstreamStatus(context, upstreamStatus);
            }

            if (e.RetryAfter is TimeSpan retry && !context.Response.HasStarted)
            {
                context.Response.Headers.RetryAfter = UpstreamErrors.Format(retry);
            }

            Log.UpstreamFailed(_logger, context.Request.Method, rawPath, e.Status, e.Message);
            await OciResponses.WriteErrorAsync(context, e.Status, e.Error, OutcomeOf(e), ct);
        }
        catch (LedgerUnavailableException e)
        {
            // The reason names the store's or log's address, or SQL: it is logged, not sent.
            var incident = Incident.New();
            Log.LedgerUnavailable(_logger, rawPath, incident.Reference, e.Message);
            await OciResponses.WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, incident.Tell("the transparency log or index is unavailable, so this tag cannot be checked")), RequestOutcome.LogError, ct);
        }
        catch (LedgerIntegrityException e)
        {
            var incident = Incident.New();
            Log.IntegrityFailure(_logger, rawPath, incident.Reference, e.Message);
            // What failed to verify is about the signed record, which is public; it is kept.
            await OciResponses.WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, incident.Tell("the tag ledger failed verification; refusing to serve: " + e.Message)), RequestOutcome.IntegrityError, ct);
        }
        catch (RegexMatchTimeoutException e)
        {
            // A mutable-tag pattern that backtracks without end: the tag can be judged neither way.
            Log.PolicyTimeout(_logger, rawPath, e.Pattern);
            await OciResponses.WriteErrorAsync(context, 500, new OciError(DistributionErrorCodes.Unknown, $"the mutable-tag pattern \"{e.Pattern}\" took longer than {TagPolicy.MatchTimeout.TotalMilliseconds:0} ms on this tag; nothing was served or pinned"), RequestOutcome.Error, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
            RequestOutcome.Set(context, RequestOutcome.Aborted);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // A stream broke mid-body (client or upstream). The status is already sent.
            Log.StreamBroken(_logger, rawPath, e.Message);
            RequestOutcome.Set(context, RequestOutcome.Aborted);
            context.Abort();
        }
        finally
        {
            if (slot)
            {
                _upstreamSlots.Release();
            }
        }
    }

    /// <summary>
    /// A manifest by tag: the tag policy first (a mutable tag is served as upstream has it and
    /// never reaches the ledger), then resolve upstream, consult the ledger, and serve, refuse,
    /// or serve the pinned manifest.
    /// </summary>
    private async Task ServeTagAsync(HttpContext context, ImageReference tagged, CancellationToken ct)
    {
        var head = HttpMethods.IsHead(context.Request.Method);
        var name = tagged.Name;
        var tag = tagged.Tag!;
        var reference = tagged.Canonical;
        var rule = _tagPolicy.For(name.Registry, tag);
        if (rule.Mutable)
        {
            await ServeMutableAsync(context, name, tag, head, ct);
            return;
        }

        var manifest = head ? await _manifests.HeadAsync(name, tag, ct) : await FetchWarmAsync(name, tag, reference, ct);
        RequestOutcome.SetUpstreamStatus(context, 200);
        _manifestCache.Add(name, manifest);

        var headers = context.Response.Headers;
        LedgerDecision decision;
        try
        {
            // A tag with no pin would be a new log entry: it draws on the client's budget of
            // first sightings, and one over budget appends nothing.
            if ((manifest.Bytes is null || _firstSightings is not null) && _ledger.CachedPin(tagged.AsTag!) is null && await _ledger.FindPinAsync(tagged.AsTag!, ct) is null)
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

            decision = await _ledger.ObserveAsync(new Observation(tagged.AsTag!, Digest.Parse(manifest.Digest), manifest.MediaType, _record.For(name, tag, manifest.Url)), ct);
        }
        catch (LedgerUnavailableException e) when (_onUnavailable == UnavailablePolicy.Serve)
        {
            Log.ServedUnverified(_logger, reference, manifest.Digest, e.Message);
            headers["Tlog-Unverified"] = "true";
            await WriteManifestAsync(context, manifest, head, ct);
            RequestOutcome.Set(context, RequestOutcome.Unverified);
            return;
        }

        var entry = decision.Pin.Bundle.Entry;
        if (decision.Outcome == PinOutcome.Mismatch && rule.OnMismatch == MismatchPolicy.ServePinned)
        {
            // Read before any header is set: if the pinned manifest cannot be had, the answer is an error alone.
            var pinned = await FetchPinnedAsync(context, name, reference, manifest.Digest, decision.Pin.Digest.ToString(), ct);
            Log.ServedPinned(_logger, reference, manifest.Digest, decision.Pin.Digest.ToString());
            SetPinHeaders(headers, decision.Pin);
            headers["Tlog-Mismatch"] = manifest.Digest;
            RequestOutcome.Set(context, RequestOutcome.ServedPinned);
            await WriteManifestAsync(context, pinned, head, ct);
            return;
        }

        SetPinHeaders(headers, decision.Pin);
        if (decision.Outcome == PinOutcome.Mismatch)
        {
            Log.Mismatch(_logger, reference, manifest.Digest, decision.Pin.Digest.ToString());
            await OciResponses.WriteErrorAsync(
                context,
                400,
                new OciError(
                    OciErrorCodes.TagInvalid,
                    $"tag \"{reference}\" mismatch; got \"{manifest.Digest}\", want \"{decision.Pin.Digest}\"",
                    new Dictionary<string, object> { ["logIndex"] = entry.LogIndex, ["uuid"] = decision.Pin.Uuid }),
                RequestOutcome.Mismatch,
                ct);
            return;
        }

        if (decision.Outcome == PinOutcome.FirstSeen)
        {
            headers["Tlog-First-Seen"] = "true";
        }

        RequestOutcome.Set(context, decision.Outcome == PinOutcome.FirstSeen ? RequestOutcome.FirstSeen : RequestOutcome.Served);
        await WriteManifestAsync(context, manifest, head, ct);
    }

    private async Task RefuseFirstSightingAsync(HttpContext context, string reference, TimeSpan retryAfter, CancellationToken ct)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        Log.FirstSightingLimited(_logger, reference, FirstSightingLimiter.ClientKey(context.Connection.RemoteIpAddress));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await OciResponses.WriteErrorAsync(
            context,
            429,
            new OciError(OciErrorCodes.TooManyRequests, string.Create(CultureInfo.InvariantCulture, $"{reference} has never been seen, and this address has used its {_firstSightings!.Burst} first sightings ({_firstSightings.PerMinute} a minute); nothing was recorded; retry after {seconds} s")),
            RequestOutcome.RateLimited,
            ct);
    }

    private static void SetPinHeaders(IHeaderDictionary headers, Sighting pin)
    {
        var entry = pin.Bundle.Entry;
        headers["Tlog-Uuid"] = pin.Uuid;
        headers["Tlog-Logindex"] = entry.LogIndex.ToString(CultureInfo.InvariantCulture);
        if (pin.LogTime is { } time)
        {
            // Only a time the log signed (SET, embedded leaf): an unsigned integratedTime is nobody's word.
            headers["Tlog-Integratedtime"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// A mutable tag: upstream's manifest as it is now, marked <c>Tlog-Mutable</c>. Nothing is
    /// pinned or logged, and a pin the tag got before it became mutable is left as it is.
    /// </summary>
    private async Task ServeMutableAsync(HttpContext context, ImageName name, string tag, bool head, CancellationToken ct)
    {
        var manifest = head ? await _manifests.HeadAsync(name, tag, ct) : await _manifests.GetAsync(name, tag, ct);
        RequestOutcome.SetUpstreamStatus(context, 200);
        _manifestCache.Add(name, manifest);
        context.Response.Headers["Tlog-Mutable"] = "true";
        RequestOutcome.Set(context, RequestOutcome.Mutable);
        await WriteManifestAsync(context, manifest, head, ct);
    }

    /// <summary>
    /// The pinned manifest of a tag that moved, for serve-pinned: from memory, else read by digest
    /// upstream. Its bytes must hash to the pin; anything else (a registry that dropped it, bytes
    /// that do not hash) is an error, and the moved manifest is never served in its place.
    /// </summary>
    private async Task<UpstreamManifest> FetchPinnedAsync(HttpContext context, ImageName name, string reference, string upstreamDigest, string pinnedDigest, CancellationToken ct)
    {
        if (_manifestCache.TryGet(name, pinnedDigest, out var cached))
        {
            return new UpstreamManifest(cached.Bytes, cached.MediaType, cached.Digest, cached.Bytes.Length, _manifests.UrlFor(name, pinnedDigest));
        }

        var why = $"{reference} now points to {upstreamDigest} upstream; its pinned manifest {pinnedDigest}";
        UpstreamManifest fetched;
        try
        {
            fetched = await _manifests.GetAsync(name, pinnedDigest, ct);
        }
        catch (UpstreamException e)
        {
            // Upstream no longer has the pinned manifest: a gateway failure, not an unknown tag.
            var status = e.Status == 404 ? 502 : e.Status;
            var code = e.Status == 404 ? OciErrorCodes.ManifestUnknown : e.Error.Code;
            throw new UpstreamException(status, new OciError(code, $"{why} could not be read: {e.Error.Message}; nothing was served"), e.RetryAfter, e) { UpstreamStatus = e.UpstreamStatus };
        }

        RequestOutcome.SetUpstreamStatus(context, 200);
        if (!string.Equals(fetched.Digest, pinnedDigest, StringComparison.Ordinal))
        {
            throw new UpstreamException(502, new OciError(
                OciErrorCodes.ManifestInvalid,
                $"{why} was answered with bytes whose digest is {fetched.Digest}; nothing was served"));
        }

        _manifestCache.Add(name, fetched);
        return fetched;
    }

    /// <summary>
    /// GET of a tag: when its pin is verified and the pinned manifest is in memory, a HEAD
    /// upstream is enough to see whether the tag still points there, and the bytes served are
    /// the ones hashed when they were cached. Any other answer gets a full GET, so a refusal is
    /// always decided on bytes read now.
    /// </summary>
    private async Task<UpstreamManifest> FetchWarmAsync(ImageName name, string tag, string reference, CancellationToken ct)
    {
        if (_ledger.CachedPin(TagReference.Create(name, tag)) is { } pin && _manifestCache.TryGet(name, pin.Digest.ToString(), out var cached))
        {
            var current = await _manifests.HeadAsync(name, tag, ct);
            if (current.Bytes is null && string.Equals(current.Digest, pin.Digest.ToString(), StringComparison.Ordinal))
            {
                return new UpstreamManifest(cached.Bytes, cached.MediaType, cached.Digest, cached.Bytes.Length, current.Url);
            }

            // HEAD fell back to a GET (no digest header), or the tag moved: decide on bytes.
            return current.Bytes is not null ? current : await _manifests.GetAsync(name, tag, ct);
        }

        return await _manifests.GetAsync(name, tag, ct);
    }

    /// <summary>
    /// A manifest by digest from memory, or read whole from upstream and kept when its bytes
    /// hash to the digest asked for; bytes that do not are never served.
    /// </summary>
    private async Task ServeDigestAsync(HttpContext context, ImageName name, string digest, CancellationToken ct)
    {
        var head = HttpMethods.IsHead(context.Request.Method);
        if (!_manifestCache.TryGet(name, digest, out var cached))
        {
            var fetched = await _manifests.GetAsync(name, digest, ct);
            RequestOutcome.SetUpstreamStatus(context, 200);
            if (!string.Equals(fetched.Digest, digest, StringComparison.Ordinal))
            {
                throw new UpstreamException(502, new OciError(
                    OciErrorCodes.ManifestInvalid,
                    $"upstream answered {name.Registry}/{name.Repository}@{digest} with bytes whose digest is {fetched.Digest}; nothing was served"));
            }

            _manifestCache.Add(name, fetched);
            cached = new CachedManifest(fetched.Bytes!, fetched.MediaType, fetched.Digest);
        }

        context.Response.Headers.ETag = "\"" + digest + "\"";
        await WriteManifestAsync(context, new UpstreamManifest(cached.Bytes, cached.MediaType, cached.Digest, cached.Bytes.Length, _manifests.UrlFor(name, digest)), head, ct);
    }

    /// <summary>
    /// Whole sha256 manifests are read, checked and (when the cache is on) kept; a range request
    /// or another algorithm is passed through, under a manifest type upstream declared.
    /// </summary>
    private static bool IsWholeSha256(HttpContext context, Digest digest) =>
        digest.Algorithm == Digest.Sha256Algorithm && context.Request.Headers.Range.Count == 0;

    private static async Task WriteManifestAsync(HttpContext context, UpstreamManifest manifest, bool head, CancellationToken ct)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = manifest.MediaType;
        context.Response.ContentLength = manifest.Length;
        context.Response.Headers["Docker-Content-Digest"] = manifest.Digest;
        if (!head && manifest.Bytes is not null)
        {
            await context.Response.Body.WriteAsync(manifest.Bytes, ct);
        }
    }

    /// <summary>
    /// Streams an upstream response to the client without buffering: status, the headers a
    /// registry client needs, and the body. Redirects (to a CDN) go to the client unchanged.
    /// </summary>
    private async Task PassThroughAsync(HttpContext context, RouteMatch route, string suffix, string notFoundCode, bool manifest, CancellationToken ct)
    {
        var name = route.Name!;
        var queryAt = suffix.IndexOf('?', StringComparison.Ordinal);
        var proxiedPath = "/v2/" + route.ProxiedName + "/" + (queryAt >= 0 ? suffix[..queryAt] : suffix);
        var request = context.Request;
        var method = HttpMethods.IsHead(request.Method) ? HttpMethod.Head : HttpMethod.Get;
        using var exchange = await _client.SendAsync(name, method, suffix, r =>
        {
            if (manifest)
            {
                r.Headers.TryAddWithoutValidation("Accept", MediaTypes.ManifestAccept);
            }
            else if (request.Headers.Accept.Count > 0)
            {
                r.Headers.TryAddWithoutValidation("Accept", request.Headers.Accept.ToString());
            }

            if (request.Headers.Range.Count > 0)
            {
                r.Headers.TryAddWithoutValidation("Range", request.Headers.Range.ToString());
            }

            if (request.Headers.IfRange.Count > 0)
            {
                r.Headers.TryAddWithoutValidation("If-Range", request.Headers.IfRange.ToString());
            }
        }, ct);

        var response = exchange.Response;
        var status = (int)response.StatusCode;
        RequestOutcome.SetUpstreamStatus(context, status);
        if (IsRedirect(response.StatusCode))
        {
            var location = response.Headers.Location;
            if (location is null)
            {
                throw new UpstreamException($"upstream redirected {suffix} without a Location");
            }

            context.Response.StatusCode = status;
            context.Response.Headers.Location = (location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location)).AbsoluteUri;
            CopyHeaders(response, context.Response, proxiedPath);
            context.Response.ContentLength = 0;
            RequestOutcome.Set(context, RequestOutcome.Redirected);
            return;
        }

        if (status is not (200 or 206 or 416))
        {
            throw UpstreamErrors.FromStatus(response, notFoundCode, $"{name.Registry}/{name.Repository} {suffix}");
        }

        // The type is the route's, never upstream's string: only a manifest keeps a declared
        // type, and only one of the served manifest types.
        var contentType = ServedContentTypes.For(route.Kind, response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var declared) ? declared.ToString() : null);
        if (contentType is null)
        {
            throw new UpstreamException(502, new OciError(OciErrorCodes.ManifestInvalid, $"upstream answered {name.Registry}/{name.Repository} {suffix} with a Content-Type that is not a manifest type; nothing was served"));
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        CopyHeaders(response, context.Response, proxiedPath);
        if (method == HttpMethod.Head)
        {
            return;
        }

        await using var body = await exchange.OpenBodyAsync(ct);
        // Kestrel checks the written length against Content-Length: a short upstream body
        // ends in an aborted connection, never in a truncated blob that looks complete.
        await StreamBodyAsync(body, context.Response, ct);
    }

    /// <summary>
    /// Reads upstream straight into the response pipe's memory (no copy in between), a large
    /// chunk at a time. The pipe lets Kestrel send one chunk while the next is read, and its
    /// buffer bound keeps memory flat whatever the blob size: at most a chunk being read plus
    /// <c>MaxResponseBufferSize</c> unsent, about 2 MiB a stream.
    /// </summary>
    private static async Task StreamBodyAsync(Stream body, HttpResponse response, CancellationToken ct)
    {
        // 1 MiB rather than 256 KiB: a read takes all that has arrived and Kestrel sends it
        // in one go, which cut the proxy's CPU per GiB by about a quarter in bench/.
        const int ChunkSize = 1024 * 1024;
        var writer = response.BodyWriter;
        while (true)
        {
            var memory = writer.GetMemory(ChunkSize);
            var read = await body.ReadAsync(memory, ct);
            if (read == 0)
            {
                break;
            }

            writer.Advance(read);
            var flush = await writer.FlushAsync(ct);
            if (flush.IsCanceled || flush.IsCompleted)
            {
                break;
            }
        }
    }

    private static void CopyHeaders(HttpResponseMessage from, HttpResponse to, string proxiedPath)
    {
        foreach (var header in PassThroughHeaders)
        {
            if (from.Headers.TryGetValues(header, out var values) || from.Content.Headers.TryGetValues(header, out values))
            {
                to.Headers[header] = values.ToArray();
            }
        }

        // Pagination comes back to the proxy, and only for the same endpoint upstream: a link
        // anywhere else is dropped (UpstreamLink).
        if (from.Headers.NonValidated.TryGetValues("Link", out var links) && from.RequestMessage?.RequestUri is { } requested
            && links.Select(l => UpstreamLink.Rewrite(l, requested, proxiedPath)).FirstOrDefault(l => l is not null) is { } next)
        {
            to.Headers["Link"] = next;
        }
    }

    /// <summary>Not found is the client's business; a destination the SSRF guard refused (no upstream status) is ours; the rest is upstream's.</summary>
    private static string OutcomeOf(UpstreamException e) => e.Status switch
    {
        404 => RequestOutcome.NotFound,
        403 when e.UpstreamStatus is null => RequestOutcome.Denied,
        _ => RequestOutcome.UpstreamError,
    };

    /// <summary>The route as a metric label: what was asked for, whether or not it was valid.</summary>
    private static string RouteLabel(RouteMatch route) => route.Kind switch
    {
        RouteKind.Manifest => route.Reference is { IsDigest: false } ? RequestOutcome.ManifestByTag : RequestOutcome.ManifestByDigest,
        RouteKind.Blob => RequestOutcome.Blob,
        RouteKind.TagsList => RequestOutcome.Tags,
        RouteKind.Referrers => RequestOutcome.Referrers,
        RouteKind.Base => RequestOutcome.Base,
        _ => RequestOutcome.Other,
    };

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static string Query(HttpContext context, params string[] names)
    {
        var parts = new List<string>();
        foreach (var n in names)
        {
            foreach (var v in context.Request.Query[n])
            {
                if (v is not null)
                {
                    parts.Add(n + "=" + Uri.EscapeDataString(v));
                }
            }
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "{Method} {Path}: upstream error {Status}: {Reason}")]
        public static partial void UpstreamFailed(ILogger logger, string method, string path, int status, string reason);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "refused {Reference}: upstream now serves {Got}, pinned {Want}")]
        public static partial void Mismatch(ILogger logger, string reference, string got, string want);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "{Path}: ledger verification failed (reference {Reference}): {Reason}")]
        public static partial void IntegrityFailure(ILogger logger, string path, string reference, string reason);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "{Path}: the log or index is unavailable, refusing (reference {Reference}): {Reason}")]
        public static partial void LedgerUnavailable(ILogger logger, string path, string reference, string reason);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Critical, Message = "SERVING UNVERIFIED {Reference} -> {Digest}: the log or index is unavailable ({Reason}) and on-log-unavailable=serve")]
        public static partial void ServedUnverified(ILogger logger, string reference, string digest, string reason);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "serving pinned {Reference} -> {Want}: upstream now serves {Got} (on-mismatch=serve-pinned)")]
        public static partial void ServedPinned(ILogger logger, string reference, string got, string want);

        [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "{Path}: mutable-tag pattern {Pattern} timed out; refusing")]
        public static partial void PolicyTimeout(ILogger logger, string path, string pattern);

        [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "refused first sighting of {Reference}: client {Client} is over its first-sighting limit")]
        public static partial void FirstSightingLimited(ILogger logger, string reference, string client);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "{Path}: stream broken mid-body: {Reason}")]
        public static partial void StreamBroken(ILogger logger, string path, string reason);
    }
}
