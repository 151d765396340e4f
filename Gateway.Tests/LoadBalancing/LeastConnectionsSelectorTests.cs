using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

public class LeastConnectionsSelectorTests
{
    [Fact]
    public void Pick_OneIdleDestination_PicksIt()
    {
        var d = Destinations.Count(4);
        Destinations.Load(d[0], 3);
        Destinations.Load(d[1], 1);
        Destinations.Load(d[3], 2);
        Assert.Equal(2, new LeastConnectionsSelector().Pick(d));
    }

    [Fact]
    public void Pick_InFlightPerWeight_PrefersHeavierWeight()
    {
        // a: 3 in flight / weight 4 = 0.75 beats b: 1 / 1 = 1.
        var d = Destinations.Make(4, 1);
        Destinations.Load(d[0], 3);
        Destinations.Load(d[1], 1);
        Assert.Equal(0, new LeastConnectionsSelector().Pick(d));
    }

    [Fact]
    public void Pick_AllTiedEqualWeights_RotatesInsteadOfListOrder()
    {
        var d = Destinations.Count(3);
        var selector = new LeastConnectionsSelector();
        var picks = Enumerable.Range(0, 6).Select(_ => d[selector.Pick(d)].Id);
        Assert.Equal("abcabc", string.Concat(picks));
    }

    [Fact]
    public void Pick_AllTiedWeights511_BreaksTiesBySmoothWeightedRoundRobin()
    {
        var d = Destinations.Make(5, 1, 1);
        var selector = new LeastConnectionsSelector();
        var picks = Enumerable.Range(0, 14).Select(_ => d[selector.Pick(d)].Id);
        Assert.Equal("aabacaa" + "aabacaa", string.Concat(picks));
    }

    [Fact]
    public void Pick_TieOnlyAmongSome_RotatesAmongTiedOnly()
    {
        // a: 2/2 = 1, b: 1/1 = 1, c: 2/1 = 2 -> only a and b are tied, by weight 2:1.
        var d = Destinations.Make(2, 1, 1);
        Destinations.Load(d[0], 2);
        Destinations.Load(d[1], 1);
        Destinations.Load(d[2], 2);
        var selector = new LeastConnectionsSelector();
        var picks = string.Concat(Enumerable.Range(0, 6).Select(_ => d[selector.Pick(d)].Id));
        Assert.Equal("abaaba", picks);
    }

    [Fact]
    public void Pick_RequestsHeld_SpreadsInFlightEvenly()
    {
        var d = Destinations.Count(5);
        var selector = new LeastConnectionsSelector();
        for (var i = 0; i < 50; i++)
        {
            d[selector.Pick(d)].Begin();
        }

        Assert.All(d, x => Assert.Equal(10, x.InFlight));
    }

    public enum Layout
    {
        /// <summary>Counters side by side in one cluster block: read in place, four at a time.</summary>
        ClusterBlock,

        /// <summary>Each record with its own counter (made without a cluster): copied out, then four at a time.</summary>
        Scattered,

        /// <summary>Weights whose common multiple does not fit: the one-at-a-time scan.</summary>
        HugeMultiple,
    }

    [Theory]
    [InlineData(2, Layout.ClusterBlock)]
    [InlineData(7, Layout.ClusterBlock)]
    [InlineData(33, Layout.ClusterBlock)]
    [InlineData(1000, Layout.ClusterBlock)]
    [InlineData(7, Layout.Scattered)]
    [InlineData(1000, Layout.Scattered)]
    [InlineData(12, Layout.HugeMultiple)]
    [InlineData(1000, Layout.HugeMultiple)]
    public void Pick_ChangingLoads_SameSequenceAsNginxLoop(int count, Layout layout)
    {
        // The selector against a plain transcription of nginx's ngx_http_upstream_get_least_conn_peer, over 5,000
        // picks with loads that move after every pick.
        var random = new Random(count);
        int[] primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
        var weightsIn = Enumerable.Range(0, count).Select(i => layout == Layout.HugeMultiple ? primes[i % primes.Length] : 1 + random.Next(5)).ToArray();
        var cluster = layout == Layout.ClusterBlock ? new ClusterLoad() : null;
        cluster?.Reserve(count);
        var d = weightsIn.Select((w, i) => new DestinationStats($"d{i}", LatencyModel.Default, w, cluster: cluster)).ToArray();
        if (cluster is not null)
        {
            var (block, first) = d[0].InFlightCell;
            Assert.All(d.Select((x, i) => (x, i)), p => Assert.Equal((block, first + p.i), p.x.InFlightCell));
        }

        var weights = d.Select(x => (long)x.SelectionWeight).ToArray();
        var current = new long[count];
        var selector = new LeastConnectionsSelector();
        for (var pick = 0; pick < 5_000; pick++)
        {
            var expected = NginxLeastConn(d, weights, current);
            Assert.Equal(expected, selector.Pick(d));
            d[expected].Begin();
            var finished = d[random.Next(count)];
            if (finished.InFlight > 0 && random.Next(3) > 0)
            {
                finished.Abandon();
            }
        }
    }

    [Fact]
    public void Pick_ManyThreads_TieBreakWeightsStayBalanced()
    {
        // nginx's tie-break gives each tied destination its weight and takes the total back from the winner, so the
        // current weights always sum to zero. A lost update under concurrent picks would show as a non-zero sum.
        var cluster = new ClusterLoad();
        cluster.Reserve(100);
        var d = Enumerable.Range(0, 100).Select(i => new DestinationStats($"d{i}", LatencyModel.Default, 1 + (i % 3), cluster: cluster)).ToArray();
        var selector = new LeastConnectionsSelector();
        using var start = new Barrier(4);
        var workers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 20_000; i++)
            {
                var picked = d[selector.Pick(d)];
                picked.Begin();
                picked.Abandon();
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Equal(0, selector.CurrentWeightTotal);
        Assert.All(d, x => Assert.Equal(0, x.InFlight));
        Assert.Equal(0, cluster.InFlight);
    }

    private static int NginxLeastConn(DestinationStats[] peers, long[] weights, long[] current)
    {
        // Pass 1: best ratio, and whether several share it.
        var best = 0;
        var many = false;
        for (var i = 1; i < peers.Length; i++)
        {
            var lhs = peers[i].InFlight * weights[best];
            var rhs = peers[best].InFlight * weights[i];
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

        // Pass 2: smooth weighted round-robin among those tied with the best.
        long total = 0;
        var first = best;
        for (var i = first; i < peers.Length; i++)
        {
            if (peers[i].InFlight * weights[first] != peers[first].InFlight * weights[i])
            {
                continue;
            }

            current[i] += weights[i];
            total += weights[i];
            if (current[i] > current[best])
            {
                best = i;
            }
        }

        current[best] -= total;
        return best;
    }
}
