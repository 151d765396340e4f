using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Gateway.Discovery;

public static class DiscoveryServiceCollectionExtensions
{
    /// <summary>One background discovery per cluster in <c>LbProxy.Discovery</c>, and the state /readyz waits on.</summary>
    public static IServiceCollection AddLbProxyDiscovery(this IServiceCollection services,
        IReadOnlyDictionary<string, DiscoveryOptions> clusters, IHostResolver? resolver = null)
    {
        services.TryAddSingleton<DiscoveryState>();
        services.TryAddSingleton(resolver ?? SystemHostResolver.Instance);
        foreach (var (clusterId, options) in clusters)
        {
            // Not AddHostedService: it keeps one registration per implementation type, and each cluster needs its own.
            services.AddSingleton<IHostedService>(sp =>
            {
                sp.GetRequiredService<DiscoveryState>().Expect(clusterId);
                return options.Source == DiscoverySource.Dns
                    ? ActivatorUtilities.CreateInstance<DnsDiscovery>(sp, clusterId, options)
                    : (IHostedService)ActivatorUtilities.CreateInstance<EndpointSliceDiscovery>(sp, clusterId, options);
            });
        }

        return services;
    }
}
