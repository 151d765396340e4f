using Gateway.LoadBalancing;
using Yarp.ReverseProxy;

namespace Gateway.Admin;

/// <summary>Reads the live state (YARP's clusters + the statistics records) for the status page and metrics.</summary>
internal sealed class GatewayStateReader(IProxyStateLookup proxyState, DestinationStatsRegistry registry, Health.CircuitBreakers breakers,
    Health.ProbeStates probes, Api.DestinationOverrides overrides)
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
                var breaker = breakers.Find(destination);
                var probe = probes.Find(destination);
                yield return new DestinationView(cluster.ClusterId, policy, destination, Registry.Get(cluster, destination),
                    available.Contains(destination), breaker?.State ?? Polly.CircuitBreaker.CircuitState.Closed, breaker?.Opened ?? 0,
                    probe?.Draining ?? false, probe?.LastError, overrides.Find(cluster.ClusterId, destination.DestinationId));
            }
        }
    }
}
