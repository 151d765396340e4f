using Benchmarks.Sim.Engine;
using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Policies;

/// <summary>The shipping P2C + peak-EWMA core; with <paramref name="queueDepth"/> the destinations also report
/// X-Queue-Depth (their requests waiting for a server, as ModelWorker reports its batcher queue) with every response.</summary>
public sealed class AdaptivePolicy(Random random, bool queueDepth) : SimPolicy
{
    private readonly AdaptiveSelector _selector = new(random);

    public override string Name => queueDepth ? "Adaptive+QueueDepth" : "Adaptive";

    public override bool ReportsQueueDepth => queueDepth;

    public override int Pick(SimCluster cluster, SimRequest request)
    {
        var i = _selector.Pick(cluster.Candidates);
        return i < 0 ? -1 : cluster.CandidateIndex[i];
    }
}
