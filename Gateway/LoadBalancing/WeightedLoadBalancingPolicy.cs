using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for <see cref="SmoothWeightedSelector"/> (nginx smooth weighted round-robin).</summary>
internal sealed class WeightedLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    private readonly ConditionalWeakTable<ClusterState, SmoothWeightedSelector> _selectors = [];

    public string Name => LoadBalancingPolicyNames.Weighted;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var snapshot = snapshots.Get(cluster, availableDestinations);
        var selector = _selectors.GetValue(cluster, static _ => new SmoothWeightedSelector());
        if (snapshot.IsFor(availableDestinations))
        {
            var index = selector.Pick(snapshot.Candidates);
            return index < 0 ? null : snapshot.AvailableStates[index];
        }

        using var mask = CandidateMask.OverCandidates(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        var allowed = selector.Pick(snapshot.Candidates, mask.Allowed);
        return allowed < 0 ? availableDestinations[0] : snapshot.AvailableStates[allowed];
    }
}
