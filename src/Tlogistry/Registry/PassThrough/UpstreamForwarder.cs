using System.Net;
using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.PassThrough;

/// <summary>
/// Streams an upstream response to the client without buffering: status, the headers a
/// registry client needs (<see cref="PassThroughHeaders"/>), and the body
/// (<see cref="StreamCopier"/>). Redirects (to a CDN) go to the client unchanged; the type is
/// the route's, never upstream's string.
/// </summary>
internal sealed class UpstreamForwarder
{
    private readonly RegistryClient _client;

    public UpstreamForwarder(RegistryClient client) => _client = client;

    public async Task ForwardAsync(HttpContext context, RouteMatch route, CancellationToken ct)
    {
        var name = route.Name!;
        var forwarded = ForwardedRoute.For(route, context.Request.Query);
        var suffix = forwarded.Suffix;
        var proxiedPath = forwarded.ProxiedPath(route);
        var request = context.Request;
        var method = HttpMethods.IsHead(request.Method) ? HttpMethod.Head : HttpMethod.Get;
        using var exchange = await _client.SendAsync(name, method, suffix, r => PassThroughHeaders.CopyRequest(request, r, forwarded.Manifest), ct);

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
            PassThroughHeaders.CopyResponse(response, context.Response, proxiedPath, forwarded);
            context.Response.ContentLength = 0;
            RequestOutcome.Set(context, RequestOutcome.Redirected);
            return;
        }

        if (status == 416 && request.Headers.Range.Count > 0)
        {
            // Upstream's 416 body is not read (a misbehaving one may be long, short, or of any
            // type): the client gets the proxy's own OCI error, and the blob's size when
            // upstream stated it in the one form RFC 9110 gives a 416.
            var size = UnsatisfiedRange.SizeOf(response);
            if (size is long total)
            {
                context.Response.Headers.ContentRange = UnsatisfiedRange.Format(total);
            }

            await OciResponses.WriteErrorAsync(
                context,
                416,
                new OciError(DistributionErrorCodes.RangeInvalid, $"{name.Registry}/{name.Repository} {suffix} cannot serve the range {request.Headers.Range}{(size is long s ? $" of a blob of {s} bytes" : "")}"),
                RequestOutcome.ClientError,
                ct);
            return;
        }

        if (status == 405)
        {
            // Upstream serves no such method here (Distribution answers a HEAD of a tag list so):
            // the client is told the same, with the read methods upstream says it allows.
            var allowed = response.Content.Headers.Allow.Where(m => m is "GET" or "HEAD" && m != method.Method).Distinct();
            context.Response.Headers.Allow = string.Join(", ", allowed);
            await OciResponses.WriteErrorAsync(
                context,
                405,
                new OciError(OciErrorCodes.Unsupported, $"{name.Registry} does not serve {method.Method} for {name.Repository} {suffix}"),
                RequestOutcome.ClientError,
                ct);
            return;
        }

        if (status is not (200 or 206))
        {
            throw UpstreamErrors.FromStatus(response, forwarded.NotFoundCode, $"{name.Registry}/{name.Repository} {suffix}");
        }

        // Only a manifest keeps a declared type, and only one of the served manifest types.
        var contentType = ServedContentTypes.For(route.Kind, response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var declared) ? declared.ToString() : null);
        if (contentType is null)
        {
            throw new UpstreamException(502, new OciError(OciErrorCodes.ManifestInvalid, $"upstream answered {name.Registry}/{name.Repository} {suffix} with a Content-Type that is not a manifest type; nothing was served"));
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        PassThroughHeaders.CopyResponse(response, context.Response, proxiedPath, forwarded);
        if (method == HttpMethod.Head)
        {
            return;
        }

        try
        {
            await using var body = await exchange.OpenBodyAsync(ct);
            // Kestrel checks the written length against Content-Length: a short upstream body
            // ends in an aborted connection, never in a truncated blob that looks complete.
            await StreamCopier.CopyAsync(body, context.Response.BodyWriter, ct);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !context.Response.HasStarted && !ct.IsCancellationRequested)
        {
            // Upstream broke off before the first byte reached the client: nothing is under way
            // yet, so the client gets a status rather than a reset connection.
            PassThroughHeaders.ClearResponse(context.Response);
            throw new UpstreamException(502, new OciError(DistributionErrorCodes.Unknown, $"upstream's answer for {name.Registry}/{name.Repository} {suffix} broke off before its body began; nothing was served"), inner: e)
            {
                UpstreamStatus = status,
            };
        }
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}
