using System.Buffers;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// YARP adapter for nginx random two [least_conn]: the less loaded of two weighted draws (see the core it calls). A retry picks from the cluster's
/// snapshot through a <see cref="CandidateMask"/> of the untried peers, so it builds nothing; each pick is reported to
/// <see cref="NginxPeerMarks"/> (nginx's max_fails/fail_timeout checks).
/// </summary>
internal sealed class RandomTwoLoadBalancingPolicy(ClusterSnapshots snapshots, NginxPeerMarks marks) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.RandomTwo;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var snapshot = snapshots.Get(cluster, availableDestinations);
        var peers = snapshot.PolicyState<NginxPeerSet>().For(snapshot);
        var all = peers.Snapshot.All;
        var rented = all.Length > CandidateMask.StackLimit ? ArrayPool<long>.Shared.Rent(all.Length) : null;
        try
        {
            var inFlight = rented is null ? stackalloc long[all.Length] : rented.AsSpan(0, all.Length);
            for (var i = 0; i < all.Length; i++)
            {
                inFlight[i] = all[i].InFlight;
            }

            if (snapshot.IsFor(availableDestinations))
            {
                return marks.Picked(cluster, peers.Resolve(NginxRandom.PickTwo(peers.Peers, inFlight, Random.Shared), marks.For(cluster)));
            }

            using var mask = CandidateMask.OverAll(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
            return marks.Picked(cluster, peers.Resolve(NginxRandom.PickTwo(peers.Peers, inFlight, Random.Shared, mask.Allowed), marks.For(cluster), mask.Allowed));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<long>.Shared.Return(rented);
            }
        }
    }
}
