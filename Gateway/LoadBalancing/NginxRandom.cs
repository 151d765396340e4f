namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>random</c> and <c>random two [least_conn]</c> (ngx_http_upstream_random_module.c): a peer is drawn with
/// probability proportional to its weight; a drawn peer that cannot be used is drawn again, at most 20 times, then
/// nginx falls back to round-robin. With <c>two</c>, two different usable peers are drawn and the one with fewer
/// active connections per unit of weight wins, the second drawn on a tie.
/// </summary>
public static class NginxRandom
{
    public static int Pick(NginxPeers peers, Random random)
    {
        if (peers.Count == 0)
        {
            return NginxIpHash.FallBack;
        }

        var total = peers.TotalWeight;
        for (var tries = 0; tries <= 20; tries++)
        {
            var p = peers.AtWeight(random.NextInt64(total));
            if (peers.Usable[p])
            {
                return p;
            }
        }

        return NginxIpHash.FallBack;
    }

    public static int PickTwo(NginxPeers peers, ReadOnlySpan<long> inFlight, Random random)
    {
        var usable = peers.Usable.Count(u => u);
        if (usable < 2)
        {
            return Pick(peers, random);
        }

        var first = Pick(peers, random);
        if (first < 0)
        {
            return first;
        }

        var total = peers.TotalWeight;
        for (var tries = 0; tries <= 20; tries++)
        {
            var second = peers.AtWeight(random.NextInt64(total));
            if (second == first || !peers.Usable[second])
            {
                continue;
            }

            // nginx: if (peer->conns * prev->weight > prev->conns * peer->weight) peer = prev;
            return inFlight[second] * peers.Weights[first] > inFlight[first] * peers.Weights[second] ? first : second;
        }

        return first;
    }
}
