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

    public int Pick(DestinationStats[] candidates, bool leastConn)
    {
        if (candidates.Length <= 1)
        {
            return candidates.Length - 1;
        }

        lock (_lock)
        {
            if (!leastConn)
            {
                return Step(candidates, static (_, _) => true);
            }

            // Pass 1: the lowest in-flight/weight (cross-multiplied), and whether several share it.
            var best = 0;
            var many = false;
            for (var i = 1; i < candidates.Length; i++)
            {
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

            if (!many)
            {
                return best;
            }

            var chosen = candidates[best];
            return Step(candidates, (d, _) => d.InFlight * chosen.Weight == chosen.InFlight * d.Weight);
        }
    }

    /// <summary>One smooth weighted step among the candidates <paramref name="take"/> accepts; returns the winner's index.</summary>
    private int Step(DestinationStats[] candidates, Func<DestinationStats, int, bool> take)
    {
        var best = -1;
        StrongBox<long>? bestCurrent = null;
        long total = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            var d = candidates[i];
            if (!take(d, i))
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
