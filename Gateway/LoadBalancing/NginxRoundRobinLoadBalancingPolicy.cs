namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx round-robin (weighted): <see cref="NginxRotationPolicy"/>.</summary>
internal sealed class NginxRoundRobinLoadBalancingPolicy(ClusterSnapshots snapshots, NginxPeerMarks marks)
    : NginxRotationPolicy(snapshots, marks, leastConn: false)
{
    public override string Name => LoadBalancingPolicyNames.NginxRoundRobin;
}
