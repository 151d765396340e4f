using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// nginx's round-robin and least_conn, which differ only in how <see cref="NginxRoundRobinState.Pick(DestinationStats[], bool)"/>
/// compares peers: the cluster's <see cref="NginxRoundRobinState"/> (<see cref="NginxPeerMarks.For"/>, shared with the
/// failure counts, so nginx's rotation is kept across failures). A retry picks the untried ones from the cluster's
/// snapshot through a <see cref="CandidateMask"/>, building nothing.
/// </summary>
internal abstract class NginxRotationPolicy(ClusterSnapshots snapshots, NginxPeerMarks marks, bool leastConn) : ILoadBalancingPolicy
{
    public abstract string Name { get; }

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var snapshot = snapshots.Get(cluster, availableDestinations);
        var state = marks.For(cluster);
        if (snapshot.IsFor(availableDestinations))
        {
            var index = state.Pick(snapshot.Candidates, leastConn);
            return marks.Picked(cluster, index < 0 ? null : snapshot.AvailableStates[index]);
        }

        using var mask = CandidateMask.OverCandidates(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        var allowed = state.Pick(snapshot.Candidates, mask.Allowed, leastConn);
        return marks.Picked(cluster, allowed < 0 ? null : snapshot.AvailableStates[allowed]);
    }
}
