using Benchmarks.Sim.Engine;
using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Policies;

public sealed class LeastConnectionsPolicy : SimPolicy
{
    private readonly LeastConnectionsSelector _selector = new();

    public override string Name => "LeastConnections";

    public override int Pick(SimCluster cluster, SimRequest request)
    {
        var i = _selector.Pick(cluster.Candidates);
        return i < 0 ? -1 : cluster.CandidateIndex[i];
    }
}
