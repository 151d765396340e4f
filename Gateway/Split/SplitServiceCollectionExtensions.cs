using Gateway.Admin;
using Gateway.LoadBalancing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Split;

internal static class SplitServiceCollectionExtensions
{
    /// <summary>The proxy app's side: the splits the middleware reads, and their metrics.</summary>
    public static IServiceCollection AddTrafficSplits(this IServiceCollection services, string meterName)
    {
        services.AddSingleton<TrafficSplits>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SplitMetrics>(sp, meterName));
        return services;
    }

    /// <summary>
    /// The admin app's side: the canary analyzer, a hosted service there because it reads the admin port's own
    /// /metrics (as the status page's sampler does) next to the proxy app's statistics records.
    /// </summary>
    public static IServiceCollection AddCanaryAnalysis(this IServiceCollection services, IServiceProvider proxyServices)
    {
        services.AddSingleton(sp =>
        {
            var counters = new GatewayCounters(proxyServices.GetRequiredService<GatewayStateReader>(), new InProcessScrape(sp).GetAsync);
            return new CanaryAnalyzer(proxyServices.GetRequiredService<TrafficSplits>(), counters.ReadAsync,
                proxyServices.GetRequiredService<SplitMetrics>(), proxyServices.GetRequiredService<OpsEventLog>(),
                proxyServices.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CanaryAnalyzer>>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<CanaryAnalyzer>());
        return services;
    }
}
