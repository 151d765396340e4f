using Gateway.LoadBalancing;
using Yarp.ReverseProxy;

namespace Gateway.Admin;

/// <summary>Reads the live state (YARP's clusters + the statistics records) for the status page and metrics.</summary>
public sealed class GatewayStateReader(IProxyStateLookup proxyState, DestinationStatsRegistry registry)
{
    public DestinationStatsRegistry Registry { get; } = registry;

    public IEnumerable<DestinationView> Destinations()
    {
        foreach (var cluster in proxyState.GetClusters())
        {
            var policy = cluster.Model.Config.LoadBalancingPolicy ?? LoadBalancingPolicyNames.RoundRobin;
            var available = cluster.DestinationsState.AvailableDestinations;
            foreach (var destination in cluster.DestinationsState.AllDestinations)
            {
                yield return new DestinationView(cluster.ClusterId, policy, destination, Registry.Get(destination),
                    available.Contains(destination));
            }
        }
    }
}
