namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>random</c> and <c>random two [least_conn]</c> (ngx_http_upstream_random_module.c): a peer is drawn with
/// probability proportional to its weight; a drawn peer that cannot be used is drawn again, at most 20 times, then
/// nginx falls back to round-robin. With <c>two</c>, two different usable peers are drawn and the one with fewer
/// active connections per unit of weight wins, the second drawn on a tie.
/// </summary>
public static class NginxRandom
{
    public static int Pick(NginxPeers peers, Random random, ReadOnlySpan<bool> allowed = default)
    {
        if (peers.Count == 0)
        {
            return NginxIpHash.FallBack;
        }

        var total = peers.TotalWeight;
        for (var tries = 0; tries <= 20; tries++)
        {
            var p = peers.AtWeight(random.NextInt64(total));
            if (peers.CanUse(p, allowed))
            {
                return p;
            }
        }

        return NginxIpHash.FallBack;
    }

    public static int PickTwo(NginxPeers peers, ReadOnlySpan<long> inFlight, Random random, ReadOnlySpan<bool> allowed = default)
    {
        if (peers.CountUsable(allowed) < 2)
        {
            return Pick(peers, random, allowed);
        }

        var first = Pick(peers, random, allowed);
        if (first < 0)
        {
            return first;
        }

        var total = peers.TotalWeight;
        for (var tries = 0; tries <= 20; tries++)
        {
            var second = peers.AtWeight(random.NextInt64(total));
            if (second == first || !peers.CanUse(second, allowed))
            {
                continue;
            }

            // nginx: if (peer->conns * prev->weight > prev->conns * peer->weight) peer = prev;
            return inFlight[second] * peers.Weights[first] > inFlight[first] * peers.Weights[second] ? first : second;
        }

        return first;
    }
}
