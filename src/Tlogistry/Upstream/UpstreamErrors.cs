using System.Globalization;
using System.Net;
using Tlogistry.Oci;

namespace Tlogistry.Upstream;

/// <summary>What the client sees when upstream answers with an error status.</summary>
internal static class UpstreamErrors
{
    public static UpstreamException FromStatus(HttpResponseMessage response, string notFoundCode, string what)
    {
        var status = (int)response.StatusCode;
        var authority = response.RequestMessage?.RequestUri?.Authority ?? "upstream";
        var (clientStatus, error, retryAfter) = response.StatusCode switch
        {
            HttpStatusCode.NotFound => (404, new OciError(notFoundCode, $"{what} is not known to {authority}"), null),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => (
                403,
                new OciError(OciErrorCodes.Denied, $"{authority} refused anonymous access to {what} (status {status}); the repository may be private or may not exist"),
                null),
            HttpStatusCode.TooManyRequests => (
                429,
                new OciError(OciErrorCodes.TooManyRequests, $"{authority} is rate limiting pulls of {what}; retry later"),
                RetryAfter(response)),
            _ when status >= 500 => (502, new OciError(DistributionErrorCodes.Unknown, $"{authority} failed with status {status} for {what}"), (TimeSpan?)null),
            _ => (502, new OciError(DistributionErrorCodes.Unknown, $"{authority} answered unexpected status {status} for {what}"), null),
        };
        return new UpstreamException(clientStatus, error, retryAfter) { UpstreamStatus = status };
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retry = response.Headers.RetryAfter;
        if (retry?.Delta is TimeSpan delta)
        {
            return delta;
        }

        if (retry?.Date is DateTimeOffset date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    public static string Format(TimeSpan retryAfter) =>
        ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
