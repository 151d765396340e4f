using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.LoadBalancing;

namespace Gateway.LoadBalancing;

public static class LoadBalancingBuilderExtensions
{
    /// <summary>
    /// Adds LbProxy's five policies. Ours replaces YARP's RoundRobin (YARP rejects two policies of one name);
    /// YARP's other built-ins stay selectable as baselines. The statistics record and snapshots are shared
    /// by every policy, the request tracker, the status page and metrics.
    /// </summary>
    public static IReverseProxyBuilder AddLbProxyLoadBalancing(this IReverseProxyBuilder builder)
    {
        var services = builder.Services;
        services.RemoveAll<ILoadBalancingPolicy>(d => d.ImplementationType?.Name == "RoundRobinLoadBalancingPolicy"
            && d.ImplementationType.Namespace == "Yarp.ReverseProxy.LoadBalancing");
        services.TryAddSingleton(LatencyModel.Default);
        services.TryAddSingleton<DestinationStatsRegistry>();
        services.TryAddSingleton<ClusterSnapshots>();
        services.TryAddSingleton<NginxPeerMarks>(); // nginx max_fails/fail_timeout, shared by the nginx policies and the nginx front
        services.AddSingleton<Yarp.ReverseProxy.Model.IClusterChangeListener>(sp => sp.GetRequiredService<NginxPeerMarks>()); // a reload's new cycle
        services.AddSingleton<ILoadBalancingPolicy, RoundRobinLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, WeightedLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, LeastConnectionsLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, ConsistentHashLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, AdaptiveLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, IpHashLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, HashLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, HashConsistentLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, RandomWeightedLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, RandomTwoLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, NginxRoundRobinLoadBalancingPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, NginxLeastConnLoadBalancingPolicy>();
        return builder;
    }

    private static void RemoveAll<T>(this IServiceCollection services, Func<ServiceDescriptor, bool> match)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(T) && match(services[i]))
            {
                services.RemoveAt(i);
            }
        }
    }
}
