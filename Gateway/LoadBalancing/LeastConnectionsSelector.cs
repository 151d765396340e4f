namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>least_conn</c> (ngx_http_upstream_least_conn_module.c): the destination with the fewest in-flight
/// requests per unit of weight wins; several tied ones are broken by smooth weighted round-robin among just
/// those, never by list order. Ratios are compared by cross-multiplying, so no division and no rounding.
/// The tie-break's current weights use Interlocked adds: alone, a caller sees exactly nginx's sequence;
/// concurrent callers may interleave turns, but every turn still adds and repays the same total.
/// </summary>
public sealed class LeastConnectionsSelector
{
    private volatile Plan? _plan;

    public int Pick(DestinationStats[] candidates)
    {
        if (candidates.Length <= 1)
        {
            return candidates.Length - 1;
        }

        var plan = _plan;
        if (plan is null || !ReferenceEquals(plan.Candidates, candidates))
        {
            plan = new Plan(candidates);
            _plan = plan;
        }

        // Pass 1: the best ratio and how many share it.
        var best = 0;
        var bestLoad = candidates[0].InFlight;
        var bestWeight = plan.Weights[0];
        var ties = 1;
        for (var i = 1; i < candidates.Length; i++)
        {
            var load = candidates[i].InFlight;
            var weight = plan.Weights[i];
            var cmp = (load * bestWeight).CompareTo(bestLoad * weight);
            if (cmp < 0)
            {
                best = i;
                bestLoad = load;
                bestWeight = weight;
                ties = 1;
            }
            else if (cmp == 0)
            {
                ties++;
            }
        }

        if (ties == 1)
        {
            return best;
        }

        // Pass 2: smooth weighted round-robin among the tied (loads may have moved since pass 1; a destination
        // that is no longer tied is simply skipped, as a peer that changed under nginx's lock would be).
        var chosen = -1;
        long chosenCurrent = 0;
        long total = 0;
        for (var i = best; i < candidates.Length; i++)
        {
            if (candidates[i].InFlight * bestWeight != bestLoad * plan.Weights[i])
            {
                continue;
            }

            total += plan.Weights[i];
            var current = Interlocked.Add(ref plan.Current[i], plan.Weights[i]);
            if (chosen < 0 || current > chosenCurrent)
            {
                chosen = i;
                chosenCurrent = current;
            }
        }

        if (chosen < 0)
        {
            return best;
        }

        Interlocked.Add(ref plan.Current[chosen], -total);
        return chosen;
    }

    private sealed class Plan
    {
        public Plan(DestinationStats[] candidates)
        {
            Candidates = candidates;
            Weights = Array.ConvertAll(candidates, c => c.Weight);
            Current = new long[candidates.Length];
        }

        public DestinationStats[] Candidates { get; }

        public int[] Weights { get; }

        public long[] Current { get; }
    }
}
