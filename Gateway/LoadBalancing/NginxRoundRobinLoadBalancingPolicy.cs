using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx round-robin (weighted, nginx's rotation kept across failures): <see cref="NginxRoundRobinState"/>, one per cluster.</summary>
internal sealed class NginxRoundRobinLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    private readonly ConditionalWeakTable<ClusterState, NginxRoundRobinState> _states = [];

    public string Name => LoadBalancingPolicyNames.NginxRoundRobin;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var snapshot = snapshots.GetExact(cluster, availableDestinations);
        var index = _states.GetValue(cluster, static _ => new NginxRoundRobinState()).Pick(snapshot.Candidates, leastConn: false);
        return index < 0 ? null : snapshot.AvailableStates[index];
    }
}
