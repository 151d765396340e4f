using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx random two [least_conn]: the less loaded of two weighted draws (see the core it calls).</summary>
internal sealed class RandomTwoLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.RandomTwo;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var snapshot = snapshots.GetExact(cluster, availableDestinations);
        var peers = snapshot.PolicyState<NginxPeerSet>().For(snapshot);
        return peers.Resolve(NginxRandom.PickTwo(peers.Peers, InFlight(peers), Random.Shared));
    }

    private static long[] InFlight(NginxPeerSet.Built peers) => Array.ConvertAll(peers.Snapshot.All, d => d.InFlight);
}
