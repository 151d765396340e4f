using System.Runtime.CompilerServices;

namespace Gateway.LoadBalancing;

/// <summary>
/// nginx's round-robin and least_conn exactly as an upstream keeps them (ngx_http_upstream_round_robin.c,
/// ngx_http_upstream_least_conn_module.c): each peer's <c>current_weight</c> lives as long as the peer, whichever
/// peers are usable at a given pick. A pick runs the smooth weighted step over just the peers offered (the available
/// ones, or on a retry the ones not tried yet), so a peer that is marked failed is skipped without disturbing the
/// others' rotation, and a retry's pick moves the same rotation, as in nginx. <see cref="SmoothWeightedSelector"/> and
/// <see cref="LeastConnectionsSelector"/> restart the rotation when the set changes, which gives other sequences after a
/// failure. least_conn: the fewest in-flight requests per unit of weight wins; ties go round-robin among the tied.
/// The first peer with the highest current weight wins, in config order.
/// </summary>
public sealed class NginxRoundRobinState
{
    private readonly Lock _lock = new();
    private readonly ConditionalWeakTable<DestinationStats, StrongBox<long>> _current = [];

    public int Pick(DestinationStats[] candidates, bool leastConn) => Pick(candidates, default, leastConn);

    /// <summary>
    /// A pick among the candidates <paramref name="allowed"/> marks (a retry's untried ones, as a <see cref="CandidateMask"/>
    /// over the cluster's snapshot; empty = all), so a retry builds nothing. Returns the winner's index, -1 when none.
    /// </summary>
    public int Pick(DestinationStats[] candidates, ReadOnlySpan<bool> allowed, bool leastConn)
    {
        var count = 0;
        var only = -1;
        for (var i = 0; i < candidates.Length && count < 2; i++)
        {
            if (allowed.IsEmpty || allowed[i])
            {
                count++;
                only = i;
            }
        }

        if (count <= 1)
        {
            return only; // one peer is taken without a step, as nginx's single peer
        }

        lock (_lock)
        {
            if (!leastConn)
            {
                return Step(candidates, allowed, tiedWith: null);
            }

            // Pass 1: the lowest in-flight/weight (cross-multiplied), and whether several share it.
            var best = -1;
            var many = false;
            for (var i = 0; i < candidates.Length; i++)
            {
                if (!allowed.IsEmpty && !allowed[i])
                {
                    continue;
                }

                if (best < 0)
                {
                    best = i;
                    continue;
                }

                var lhs = candidates[i].InFlight * candidates[best].Weight;
                var rhs = candidates[best].InFlight * candidates[i].Weight;
                if (lhs < rhs)
                {
                    best = i;
                    many = false;
                }
                else if (lhs == rhs)
                {
                    many = true;
                }
            }

            return many ? Step(candidates, allowed, tiedWith: candidates[best]) : best;
        }
    }

    /// <summary>
    /// One smooth weighted step among the allowed candidates (only those tied with <paramref name="tiedWith"/> in
    /// in-flight per weight, when given); returns the winner's index.
    /// </summary>
    private int Step(DestinationStats[] candidates, ReadOnlySpan<bool> allowed, DestinationStats? tiedWith)
    {
        var best = -1;
        StrongBox<long>? bestCurrent = null;
        long total = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            var d = candidates[i];
            if ((!allowed.IsEmpty && !allowed[i]) || (tiedWith is { } t && d.InFlight * t.Weight != t.InFlight * d.Weight))
            {
                continue;
            }

            var current = _current.GetValue(d, static _ => new StrongBox<long>());
            current.Value += d.Weight;
            total += d.Weight;
            if (bestCurrent is null || current.Value > bestCurrent.Value)
            {
                best = i;
                bestCurrent = current;
            }
        }

        bestCurrent!.Value -= total;
        return best;
    }
}
