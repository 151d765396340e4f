using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for <see cref="RoundRobinSelector"/> (in config order); replaces YARP's built-in of the same name.</summary>
internal sealed class RoundRobinLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    private readonly ConditionalWeakTable<ClusterState, RoundRobinSelector> _selectors = [];

    public string Name => LoadBalancingPolicyNames.RoundRobin;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var snapshot = snapshots.Get(cluster, availableDestinations);
        var selector = _selectors.GetValue(cluster, static _ => new RoundRobinSelector());
        if (snapshot.IsFor(availableDestinations))
        {
            var index = selector.Pick(snapshot.AvailableStates.Length);
            return index < 0 ? null : snapshot.AvailableStates[index];
        }

        using var mask = CandidateMask.OverCandidates(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        var allowed = selector.Pick(mask.Allowed);
        return allowed < 0 ? availableDestinations[0] : snapshot.AvailableStates[allowed];
    }
}
