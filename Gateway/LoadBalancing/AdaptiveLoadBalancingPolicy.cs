using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for <see cref="AdaptiveSelector"/> (P2C over peak-EWMA cost). Stateless per cluster.</summary>
internal sealed class AdaptiveLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    private readonly AdaptiveSelector _selector = new();

    public string Name => LoadBalancingPolicyNames.Adaptive;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var snapshot = snapshots.Get(cluster, availableDestinations);
        if (snapshot.IsFor(availableDestinations))
        {
            var index = _selector.Pick(snapshot.Candidates);
            return index < 0 ? null : snapshot.AvailableStates[index];
        }

        using var mask = CandidateMask.OverCandidates(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        var allowed = _selector.Pick(snapshot.Candidates, mask.Allowed, mask.Count);
        return allowed < 0 ? availableDestinations[0] : snapshot.AvailableStates[allowed];
    }
}
