using Benchmarks.Sim.Engine;
using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Policies;

public sealed class RoundRobinPolicy : SimPolicy
{
    private readonly RoundRobinSelector _selector = new();

    public override string Name => "RoundRobin";

    public override int Pick(SimCluster cluster, SimRequest request)
    {
        var i = _selector.Pick(cluster.Candidates.Length);
        return i < 0 ? -1 : cluster.CandidateIndex[i];
    }
}
