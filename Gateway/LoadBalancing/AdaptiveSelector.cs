namespace Gateway.LoadBalancing;

/// <summary>
/// Latency-scored power of two choices, as Finagle's and Linkerd's P2C + peak-EWMA balancer
/// (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001; Buoyant, "Beyond Round
/// Robin", 2016): draw two distinct candidates at random and send to the lower
/// cost = latency estimate x (load + 1), where load is the larger of our in-flight count and the queue depth
/// the destination reported (X-Queue-Depth), which shows load from other clients our count cannot see.
/// A destination without samples borrows the other draw's estimate, so it competes on load alone: it gets
/// traffic at once without being flooded. A destination that stopped answering altogether (its requests end
/// unanswered while nothing sent since comes back) is held back, with exponential backoff and then one probe at a
/// time (<see cref="UnansweredBackoff"/>): a latency estimate cannot price it, because its latency is unknown.
/// </summary>
public sealed class AdaptiveSelector
{
    /// <summary>The cost of a destination held back for not answering: above any answering destination's.</summary>
    public const double HeldBackCost = 1e12;

    private readonly Random _random;

    /// <param name="random">Seeded in tests and the simulator; <see cref="Random.Shared"/> (thread-safe) otherwise.</param>
    public AdaptiveSelector(Random? random = null) => _random = random ?? Random.Shared;

    public int Pick(DestinationStats[] candidates)
    {
        if (candidates.Length <= 1)
        {
            return candidates.Length - 1;
        }

        var a = _random.Next(candidates.Length);
        var b = _random.Next(candidates.Length - 1);
        if (b >= a)
        {
            b++;
        }

        return Better(candidates, a, b);
    }

    /// <summary>The same two choices among the <paramref name="allowed"/> only (<paramref name="count"/> of them).</summary>
    public int Pick(DestinationStats[] candidates, ReadOnlySpan<bool> allowed, int count)
    {
        if (count <= 1)
        {
            return count == 1 ? CandidateMask.NextAllowed(allowed, 0) : -1;
        }

        var a = _random.Next(count);
        var b = _random.Next(count - 1);
        if (b >= a)
        {
            b++;
        }

        return Better(candidates, CandidateMask.NthAllowed(allowed, a), CandidateMask.NthAllowed(allowed, b));
    }

    private static int Better(DestinationStats[] candidates, int a, int b)
    {
        var now = candidates[a].Model.Time.GetTimestamp();
        var estimateA = candidates[a].LatencyEstimate(now);
        var estimateB = candidates[b].LatencyEstimate(now);
        if (!candidates[a].HasLatencySamples)
        {
            estimateA = estimateB;
        }
        else if (!candidates[b].HasLatencySamples)
        {
            estimateB = estimateA;
        }

        return Cost(candidates[b], estimateB, now) < Cost(candidates[a], estimateA, now) ? b : a;
    }

    /// <summary>The score the status page and metrics show: lower is better.</summary>
    public static double Cost(DestinationStats d, double estimate, long now)
    {
        var load = Math.Max(d.InFlight, d.ReportedQueueDepth(now));
        if (d.IsHeldBack(now))
        {
            // Stopped answering (UnansweredBackoff): loses to any destination that answers, as Finagle's PeakEwma
            // prices a node with requests pending and no latency data; between two such, the less loaded.
            return HeldBackCost + load;
        }

        // A floor keeps in-flight meaningful when no estimate exists yet (both 0); slow start divides by the
        // ramp share, so a destination at 10% looks ten times as costly.
        return Math.Max(estimate, 1e-6) * (load + 1) / Math.Max(d.RampFactor, 0.001);
    }
}
