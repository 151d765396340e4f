using Benchmarks.Sim.Engine;

namespace Benchmarks.Sim.Policies;

/// <summary>Baseline equivalent to YARP's LeastRequestsLoadBalancingPolicy: the fewest in-flight, the first in
/// the list on a tie (so ties always favour the same destination, unlike nginx's least_conn).</summary>
public sealed class YarpLeastRequestsPolicy : SimPolicy
{
    public override string Name => "YarpLeastRequests";

    public override int Pick(SimCluster cluster, SimRequest request)
    {
        var c = cluster.Candidates;
        if (c.Length == 0)
        {
            return -1;
        }

        var best = 0;
        for (var i = 1; i < c.Length; i++)
        {
            if (c[i].InFlight < c[best].InFlight)
            {
                best = i;
            }
        }

        return cluster.CandidateIndex[best];
    }
}
