using Benchmarks.Sim.Engine;
using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Policies;

/// <summary>The shipping hash ring, plain or with bounded loads (<paramref name="balanceFactor"/> &gt; 0).
/// Without keys in the scenario it falls back to round-robin, as the gateway does for a request without a key.</summary>
public sealed class ConsistentHashPolicy(double balanceFactor) : SimPolicy
{
    private readonly RoundRobinSelector _fallback = new();

    public override string Name => balanceFactor > 0 ? "ConsistentHash+Bounded" : "ConsistentHash";

    public override bool HashesKeys => true;

    public override int Pick(SimCluster cluster, SimRequest request)
    {
        if (cluster.Ring is null)
        {
            var r = _fallback.Pick(cluster.Candidates.Length);
            return r < 0 ? -1 : cluster.CandidateIndex[r];
        }

        var i = cluster.Ring.Pick(cluster.KeyHashes[request.Key], cluster.MemberAvailable, balanceFactor);
        return i < 0 ? -1 : cluster.Members[i].Index;
    }
}
