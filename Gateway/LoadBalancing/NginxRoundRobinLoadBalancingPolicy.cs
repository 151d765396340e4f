using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx round-robin (weighted, nginx's rotation kept across failures): the cluster's <see cref="NginxRoundRobinState"/> (<see cref="NginxPeerMarks.For"/>).</summary>
internal sealed class NginxRoundRobinLoadBalancingPolicy(ClusterSnapshots snapshots, NginxPeerMarks marks) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.NginxRoundRobin;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var snapshot = snapshots.Get(cluster, availableDestinations);
        var state = marks.For(cluster); // shared with the failure counts (nginx's peers)
        if (snapshot.IsFor(availableDestinations))
        {
            var index = state.Pick(snapshot.Candidates, leastConn: false);
            return Picked(cluster, index < 0 ? null : snapshot.AvailableStates[index]);
        }

        // A retry's untried ones: picked from the cluster's snapshot through a mask, nothing built.
        using var mask = CandidateMask.OverCandidates(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        var allowed = state.Pick(snapshot.Candidates, mask.Allowed, leastConn: false);
        return Picked(cluster, allowed < 0 ? null : snapshot.AvailableStates[allowed]);
    }

    private DestinationState? Picked(ClusterState cluster, DestinationState? picked)
    {
        if (picked is not null)
        {
            marks.Picked(cluster, picked);
        }

        return picked;
    }
}
