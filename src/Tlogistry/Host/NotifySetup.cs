using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tlogistry.Moves;
using Tlogistry.Moves.Notify;
using Tlogistry.Telemetry;
using Tlogistry.Web;

namespace Tlogistry.Host;

/// <summary>
/// <c>--notify</c>: one webhook announcer for all the URLs, registered as an
/// <see cref="IMoveAnnouncer"/> (the move record calls it) and as a hosted service (its send
/// loop starts and drains with the host). Nothing is registered without a URL.
/// </summary>
internal static class NotifySetup
{
    public static void Add(IServiceCollection services, IReadOnlyList<WebhookUrl> urls, PublicUrl publicUrl)
    {
        if (urls.Count == 0)
        {
            return;
        }

        services.AddSingleton(sp => new WebhookAnnouncer(
            urls,
            publicUrl.Configured ? publicUrl.Origin : null,
            DeliverySettings.Default,
            sp.GetRequiredService<TlogistryMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<WebhookAnnouncer>>()));
        services.AddSingleton<IMoveAnnouncer>(sp => sp.GetRequiredService<WebhookAnnouncer>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<WebhookAnnouncer>());
    }
}
