using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx hash KEY consistent: ketama over the request's key (see the core it calls).</summary>
internal sealed class HashConsistentLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.HashConsistent;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var snapshot = snapshots.GetExact(cluster, availableDestinations);
        var peers = snapshot.PolicyState<NginxPeerSet>().For(snapshot);
        return peers.Resolve(peers.Ring.Pick(NginxPeerSet.KeyOf(context, cluster.Model.Config.Metadata), peers.Peers));
    }
}
