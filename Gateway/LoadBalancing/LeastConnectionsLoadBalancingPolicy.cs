using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for <see cref="LeastConnectionsSelector"/> (nginx least_conn); its state lives on the cluster's snapshot.</summary>
internal sealed class LeastConnectionsLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.LeastConnections;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var snapshot = snapshots.Get(cluster, availableDestinations);
        var selector = snapshot.PolicyState<LeastConnectionsSelector>();
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
