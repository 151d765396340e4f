namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for nginx least_conn: <see cref="NginxRotationPolicy"/>.</summary>
internal sealed class NginxLeastConnLoadBalancingPolicy(ClusterSnapshots snapshots, NginxPeerMarks marks)
    : NginxRotationPolicy(snapshots, marks, leastConn: true)
{
    public override string Name => LoadBalancingPolicyNames.NginxLeastConn;
}
