using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// YARP adapter for nginx ip_hash: the client's address (first three octets of IPv4) (see the core it calls). A retry picks from the cluster's
/// snapshot through a <see cref="CandidateMask"/> of the untried peers, so it builds nothing; each pick is reported to
/// <see cref="NginxPeerMarks"/> (nginx's max_fails/fail_timeout checks).
/// </summary>
internal sealed class IpHashLoadBalancingPolicy(ClusterSnapshots snapshots, NginxPeerMarks marks) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.IpHash;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        Span<byte> space = stackalloc byte[16];
        var address = Address(context, space);
        var snapshot = snapshots.Get(cluster, availableDestinations);
        var peers = snapshot.PolicyState<NginxPeerSet>().For(snapshot);
        if (snapshot.IsFor(availableDestinations))
        {
            return marks.Picked(cluster, peers.Resolve(NginxIpHash.Pick(address, peers.Peers), marks.For(cluster)));
        }

        using var mask = CandidateMask.OverAll(snapshot, availableDestinations, stackalloc bool[CandidateMask.StackLimit]);
        return marks.Picked(cluster, peers.Resolve(NginxIpHash.Pick(address, peers.Peers, mask.Allowed), marks.For(cluster), mask.Allowed));
    }

    /// <summary>The client's address bytes, written into <paramref name="space"/> (0.0.0.0 when there is none).</summary>
    private static ReadOnlySpan<byte> Address(HttpContext context, Span<byte> space)
    {
        if (context.Connection.RemoteIpAddress is { } ip && ip.TryWriteBytes(space, out var written))
        {
            return space[..written];
        }

        space[..4].Clear();
        return space[..4];
    }
}
