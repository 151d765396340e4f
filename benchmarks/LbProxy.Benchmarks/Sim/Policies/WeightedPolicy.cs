using Benchmarks.Sim.Engine;
using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Policies;

public sealed class WeightedPolicy : SimPolicy
{
    private readonly SmoothWeightedSelector _selector = new();

    public override string Name => "Weighted";

    public override int Pick(SimCluster cluster, SimRequest request)
    {
        var i = _selector.Pick(cluster.Candidates);
        return i < 0 ? -1 : cluster.CandidateIndex[i];
    }
}
