namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>least_conn</c> (ngx_http_upstream_least_conn_module.c): the destination with the fewest in-flight
/// requests per unit of weight wins; several tied ones are broken by smooth weighted round-robin among just
/// those, never by list order. Ratios are compared by cross-multiplying, so no division and no rounding.
/// The scan is lock-free; only a tie-break takes the plan's lock, so its current weights follow nginx exactly.
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

        // Pass 1, lock-free: the best ratio (cross-multiplied, no division), remembering who shares it.
        var weights = plan.Weights.AsSpan(0, candidates.Length);
        var tied = TiedBuffer(candidates.Length);
        long bestLoad = candidates[0].InFlight;
        long bestWeight = weights[0];
        tied[0] = 0;
        var ties = 1;
        for (var i = 1; i < weights.Length; i++)
        {
            long load = candidates[i].InFlight;
            long weight = weights[i];
            var lhs = load * bestWeight;
            var rhs = bestLoad * weight;
            if (lhs < rhs)
            {
                bestLoad = load;
                bestWeight = weight;
                tied[0] = i;
                ties = 1;
            }
            else if (lhs == rhs)
            {
                tied[ties++] = i;
            }
        }

        if (ties == 1)
        {
            return tied[0];
        }

        // Pass 2: smooth weighted round-robin among the tied, under the plan's lock as nginx runs it under the
        // upstream's, so the sequence is exactly nginx's.
        lock (plan)
        {
            var current = plan.Current;
            var chosen = tied[0];
            long total = 0;
            for (var t = 0; t < ties; t++)
            {
                var i = tied[t];
                total += weights[i];
                current[i] += weights[i];
                if (current[i] > current[chosen])
                {
                    chosen = i;
                }
            }

            current[chosen] -= total;
            return chosen;
        }
    }

    [ThreadStatic]
    private static int[]? t_tied;

    /// <summary>A per-thread scratch list of tied indexes: no allocation and no zeroing per pick.</summary>
    private static int[] TiedBuffer(int length)
    {
        var buffer = t_tied;
        if (buffer is null || buffer.Length < length)
        {
            t_tied = buffer = new int[Math.Max(length, 64)];
        }

        return buffer;
    }

    private sealed class Plan
    {
        public Plan(DestinationStats[] candidates)
        {
            Candidates = candidates;
            Weights = Array.ConvertAll(candidates, c => c.SelectionWeight);
            Current = new long[candidates.Length];
        }

        public DestinationStats[] Candidates { get; }

        public int[] Weights { get; }

        public long[] Current { get; }
    }
}
