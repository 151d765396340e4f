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
        var snapshot = snapshots.Get(cluster, availableDestinations);
        var state = _states.GetValue(cluster, static _ => new NginxRoundRobinState());
        if (snapshot.IsFor(availableDestinations))
        {
            var index = state.Pick(snapshot.Candidates, leastConn: false);
            return index < 0 ? null : snapshot.AvailableStates[index];
        }

        // A retry's untried ones: picked from the cluster's snapshot through a mask, nothing built.
        using var mask = CandidateMask.OverCandidates(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        var allowed = state.Pick(snapshot.Candidates, mask.Allowed, leastConn: false);
        return allowed < 0 ? null : snapshot.AvailableStates[allowed];
    }
}
