using Benchmarks.Sim.Engine;

namespace Benchmarks.Sim.Policies;

/// <summary>
/// Baseline equivalent to YARP 2.x PowerOfTwoChoicesLoadBalancingPolicy (internal, needs HttpContext, so it is
/// re-stated here): two distinct random destinations, the one with fewer in-flight requests, the first on a tie.
/// </summary>
public sealed class YarpPowerOfTwoChoicesPolicy(Random random) : SimPolicy
{
    public override string Name => "YarpPowerOfTwoChoices";

    public override int Pick(SimCluster cluster, SimRequest request)
    {
        var c = cluster.Candidates;
        if (c.Length <= 1)
        {
            return c.Length == 0 ? -1 : cluster.CandidateIndex[0];
        }

        var first = random.Next(c.Length);
        var second = random.Next(c.Length - 1);
        if (second >= first)
        {
            second++;
        }

        return cluster.CandidateIndex[c[first].InFlight <= c[second].InFlight ? first : second];
    }
}
