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
/// The first peer with the highest current weight wins, in config order. Each step adds a peer's
/// <c>effective_weight</c>, which a failure lowers by weight/max_fails and each step raises by one back up to the weight
/// (<see cref="NginxFailCounting"/>), so a peer back from failing takes its full share gradually, as in nginx.
/// </summary>
public sealed class NginxRoundRobinState
{
    private readonly Lock _lock = new();
    private readonly ConditionalWeakTable<DestinationStats, NginxPeer> _peers = [];

    /// <summary>The lock that guards every <see cref="NginxPeer"/> of this state (nginx's peers lock).</summary>
    internal Lock Gate => _lock;

    /// <summary>The peer record of <paramref name="destination"/> (kept as long as the destination's statistics).</summary>
    public NginxPeer Peer(DestinationStats destination) => _peers.GetValue(destination, static _ => new NginxPeer());

    public int Pick(DestinationStats[] candidates, bool leastConn) => Pick(candidates, default, leastConn);

    /// <summary>
    /// A pick among the candidates <paramref name="allowed"/> marks (a retry's untried ones, as a <see cref="CandidateMask"/>
    /// over the cluster's snapshot; empty = all), so a retry builds nothing. Returns the winner's index, -1 when none.
    /// </summary>
    public int Pick(DestinationStats[] candidates, ReadOnlySpan<bool> allowed, bool leastConn)
    {
        var any = false;
        for (var i = 0; i < candidates.Length && !any; i++)
        {
            any = allowed.IsEmpty || allowed[i];
        }

        if (!any)
        {
            return -1;
        }

        // A lone peer still takes a step, as in nginx: its current weight is unchanged by it, but an effective weight
        // lowered by a failure climbs back (an upstream of one server never fails, so its step changes nothing).
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
        NginxPeer? bestPeer = null;
        long total = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            var d = candidates[i];
            if ((!allowed.IsEmpty && !allowed[i]) || (tiedWith is { } t && d.InFlight * t.Weight != t.InFlight * d.Weight))
            {
                continue;
            }

            var peer = Peer(d);
            var effective = peer.Effective(d.Weight);
            peer.Current += effective;
            total += effective;
            if (effective < d.Weight)
            {
                peer.EffectiveWeight = effective + 1;
            }

            if (bestPeer is null || peer.Current > bestPeer.Current)
            {
                best = i;
                bestPeer = peer;
            }
        }

        bestPeer!.Current -= total;
        return best;
    }
}
