using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// YARP adapter for nginx hash KEY: Cache::Memcached compatible steps over the request's key (see the core it calls). A retry picks from the cluster's
/// snapshot through a <see cref="CandidateMask"/> of the untried peers, so it builds nothing; each pick is reported to
/// <see cref="NginxPeerMarks"/> (nginx's max_fails/fail_timeout checks).
/// </summary>
internal sealed class HashLoadBalancingPolicy(ClusterSnapshots snapshots, NginxPeerMarks marks) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.Hash;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var snapshot = snapshots.Get(cluster, availableDestinations);
        var peers = snapshot.PolicyState<NginxPeerSet>().For(snapshot);
        if (snapshot.IsFor(availableDestinations))
        {
            return marks.Picked(cluster, peers.Resolve(NginxHash.Pick(NginxPeerSet.KeyOf(context, cluster.Model.Config.Metadata), peers.Peers), marks.For(cluster)));
        }

        using var mask = CandidateMask.OverAll(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        return marks.Picked(cluster, peers.Resolve(NginxHash.Pick(NginxPeerSet.KeyOf(context, cluster.Model.Config.Metadata), peers.Peers, mask.Allowed), marks.For(cluster), mask.Allowed));
    }
}
