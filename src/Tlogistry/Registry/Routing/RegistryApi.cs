using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Policy;
using Tlogistry.Registry.Manifests;
using Tlogistry.Registry.PassThrough;
using Tlogistry.Registry;
using Tlogistry.Registry.Tags;
using Tlogistry.Upstream;
using Tlogistry.Upstream.Guard;

namespace Tlogistry.Registry.Routing;

/// <summary>
/// The read-only registry API's entry: parse the raw path into a route, refuse names that are
/// not ours to serve, take an upstream slot, and hand the request to its step
/// (<see cref="RouteDispatch"/>): the tag flow (<see cref="ManifestByTag"/>), a manifest by
/// digest (<see cref="ManifestByDigest"/>), or a pass-through (<see cref="UpstreamForwarder"/>).
/// What a step throws is answered by <see cref="RegistryFailures"/>.
/// </summary>
internal sealed class RegistryApi : IDisposable
{
    private readonly RegistryPolicy _registries;
    private readonly UpstreamEndpoints _endpoints;
    private readonly UpstreamSlots _upstreamSlots;
    private readonly ManifestByTag _tags;
    private readonly ManifestByDigest _digests;
    private readonly UpstreamForwarder _forwarder;
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
        HeldPins held,
        ILogger<RegistryApi> logger,
        FirstSightingLimiter? firstSightings = null,
        UpstreamRecord? record = null,
        Moves.MoveRecorder? moves = null)
    {
        _registries = registries;
        _endpoints = endpoints;
        _upstreamSlots = new UpstreamSlots(upstream.MaxConcurrentRequests, upstream.ResponseTimeout);
        _tags = new ManifestByTag(
            new TagManifests(manifests, manifestCache, ledger, held),
            ledger,
            tagPolicy,
            onUnavailable,
            firstSightings,
            record ?? UpstreamRecord.Canonical,
            held,
            logger,
            moves);
        _digests = new ManifestByDigest(manifests, manifestCache);
        _forwarder = new UpstreamForwarder(client);
        _logger = logger;
    }

    public void Dispose() => _upstreamSlots.Dispose();

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        var rawPath = RawPath(context);
        // Query keys are read case-insensitively: NS= and ns= together are a repeated ns, refused.
        var route = RegistryRoute.Parse(context.Request.Method, rawPath, context.Request.Query[MirrorNamespace.Parameter]);
        RequestOutcome.SetRoute(context, RouteLabels.For(route));
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
                slot = await _upstreamSlots.TryTakeAsync(ct);
                if (!slot)
                {
                    await OciResponses.WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, "too many upstream requests in flight; retry shortly"), RequestOutcome.Busy, ct);
                    return;
                }
            }

            await DispatchAsync(context, route, ct);
        }
        catch (Exception e)
        {
            var answer = RegistryFailures.For(e, context.Request.Method, rawPath, ct.IsCancellationRequested, _logger);
            if (answer is null)
            {
                throw;
            }

            await answer.WriteAsync(context, ct);
        }
        finally
        {
            if (slot)
            {
                _upstreamSlots.Release();
            }
        }
    }

    private Task DispatchAsync(HttpContext context, RouteMatch route, CancellationToken ct)
    {
        switch (RouteDispatch.For(route, rangeRequested: context.Request.Headers.Range.Count > 0))
        {
            case RegistryHandler.Base:
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 2;
                return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync("{}", ct);
            case RegistryHandler.ManifestByTag:
                return _tags.ServeAsync(context, route.Reference!, ct);
            case RegistryHandler.ManifestByDigest:
                return _digests.ServeAsync(context, route.Reference!.Name, route.Reference.Digest!.Value.ToString(), ct);
            case RegistryHandler.PassThrough:
                return _forwarder.ForwardAsync(context, route, ct);
            default:
                if (route.Kind == RouteKind.WriteAttempt)
                {
                    context.Response.Headers.Allow = RegistryRoute.AllowedMethods;
                }

                return OciResponses.WriteErrorAsync(context, route.StatusCode, route.Error!, RequestOutcome.ClientError, ct);
        }
    }

    /// <summary>The request target as the client sent it, still percent-encoded, without its query.</summary>
    private static string RawPath(HttpContext context)
    {
        var rawPath = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var queryStart = rawPath.IndexOf('?', StringComparison.Ordinal);
        return queryStart >= 0 ? rawPath[..queryStart] : rawPath;
    }
}
