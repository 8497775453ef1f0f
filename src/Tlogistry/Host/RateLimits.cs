using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Oci;

namespace Tlogistry.Host;

/// <summary>
/// The optional per-client rate limit: a token bucket per remote address, refilled every
/// second; a client over it gets 429 TOOMANYREQUESTS with Retry-After, as registries answer.
/// </summary>
internal static class RateLimits
{
    public static void Add(IServiceCollection services, TlogistryOptions options)
    {
        if (options.RateLimitPerClient <= 0)
        {
            return;
        }

        var perSecond = Math.Max(1, (int)Math.Ceiling(options.RateLimitPerClient));
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetTokenBucketLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = Math.Max(1, options.RateLimitBurst),
                        TokensPerPeriod = perSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = async (rejected, ct) =>
            {
                var response = rejected.HttpContext.Response;
                Registry.RequestOutcome.Set(rejected.HttpContext, Registry.RequestOutcome.RateLimited);
                response.StatusCode = 429;
                response.ContentType = "application/json";
                response.Headers.RetryAfter = "1";
                await response.Body.WriteAsync(OciErrorBody.ToUtf8Json(new OciError(OciErrorCodes.TooManyRequests, $"more than {perSecond} requests per second from this address; retry shortly")), ct);
            };
        });
    }

    public static void Use(WebApplication app, TlogistryOptions options)
    {
        if (options.RateLimitPerClient > 0)
        {
            app.UseRateLimiter();
        }
    }
}
