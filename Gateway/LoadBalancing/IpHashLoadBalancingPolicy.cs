using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx ip_hash: the client's address (first three octets of IPv4) (see the core it calls).</summary>
internal sealed class IpHashLoadBalancingPolicy(ClusterSnapshots snapshots) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.IpHash;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var snapshot = snapshots.GetExact(cluster, availableDestinations);
        var peers = snapshot.PolicyState<NginxPeerSet>().For(snapshot);
        return peers.Resolve(NginxIpHash.Pick(Address(context), peers.Peers));
    }

    private static byte[] Address(HttpContext context) =>
        context.Connection.RemoteIpAddress?.GetAddressBytes() ?? [0, 0, 0, 0];
}
