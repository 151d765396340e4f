using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx random: a weighted random draw (see the core it calls).</summary>
internal sealed class RandomWeightedLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.RandomWeighted;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var snapshot = snapshots.GetExact(cluster, availableDestinations);
        var peers = snapshot.PolicyState<NginxPeerSet>().For(snapshot);
        return peers.Resolve(NginxRandom.Pick(peers.Peers, Random.Shared));
    }
}
