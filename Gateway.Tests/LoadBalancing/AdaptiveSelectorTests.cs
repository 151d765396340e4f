using Gateway.LoadBalancing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.LoadBalancing;

public class AdaptiveSelectorTests
{
    private readonly FakeTimeProvider _time = new();

    /// <summary>
    /// Drives the selector with a deterministic open loop: one request every <paramref name="gap"/>, each
    /// completing after its destination's current latency; returns the destination of each pick.
    /// </summary>
    private sealed class Driver(FakeTimeProvider time, DestinationStats[] d, AdaptiveSelector selector, TimeSpan gap)
    {
        private readonly PriorityQueue<(DestinationStats Dest, TimeSpan Latency), DateTimeOffset> _pending = new();

        public double[] Latency { get; } = d.Select(_ => 0.010).ToArray();

        public List<int> Run(int picks)
        {
            var chosen = new List<int>(picks);
            for (var i = 0; i < picks; i++)
            {
                time.Advance(gap);
                while (_pending.TryPeek(out var done, out var at) && at <= time.GetUtcNow())
                {
                    _pending.Dequeue();
                    done.Dest.Complete(done.Latency, failed: false);
                }

                var pick = selector.Pick(d);
                d[pick].Begin();
                var latency = TimeSpan.FromSeconds(Latency[pick]);
                _pending.Enqueue((d[pick], latency), time.GetUtcNow() + latency);
                chosen.Add(pick);
            }

            return chosen;
        }
    }

    private (DestinationStats[] D, Driver Driver) Setup(int n)
    {
        var d = Destinations.Make(new LatencyModel(_time), Enumerable.Repeat(1, n).ToArray());
        return (d, new Driver(_time, d, new AdaptiveSelector(new Random(42)), TimeSpan.FromMilliseconds(5)));
    }

    private static double Share(List<int> picks, int index) => picks.Count(p => p == index) / (double)picks.Count;

    [Fact]
    public void Pick_EqualDestinations_SharesTrafficEvenly()
    {
        var (_, driver) = Setup(3);
        var picks = driver.Run(3000);
        for (var i = 0; i < 3; i++)
        {
            Assert.InRange(Share(picks, i), 0.28, 0.39);
        }
    }

    [Fact]
    public void Pick_OneBecomesTenTimesSlower_UnderTwentyPercentWithin200Picks_AndRecovers()
    {
        var (_, driver) = Setup(3);
        driver.Run(2000);

        driver.Latency[0] = 0.100;
        var slow = driver.Run(200);
        Assert.True(Share(slow, 0) < 0.20, $"slow destination got {Share(slow, 0):P1} of 200 picks");

        driver.Latency[0] = 0.010;
        driver.Run(12_000); // 60 s: long enough for the peak estimate to decay and be re-probed
        var recovered = driver.Run(3000);
        Assert.True(Share(recovered, 0) > 0.25, $"recovered destination got {Share(recovered, 0):P1}");
    }

    [Fact]
    public void Pick_NewDestinationWithoutSamples_GetsTrafficButIsNotFlooded()
    {
        var (d, driver) = Setup(3);
        driver.Run(1000);
        var fresh = new DestinationStats("new", d[0].Model);
        var withNew = d.Append(fresh).ToArray();
        var driver2 = new Driver(_time, withNew, new AdaptiveSelector(new Random(1)), TimeSpan.FromMilliseconds(5));
        var picks = driver2.Run(400);
        Assert.InRange(Share(picks, 3), 0.10, 0.40);
    }

    [Fact]
    public void Pick_ReportedQueueDepth_SteersAwayFromTheDeepQueue()
    {
        var d = Destinations.Make(new LatencyModel(_time), 1, 1);
        d[0].Begin();
        d[0].Complete(TimeSpan.FromMilliseconds(10), failed: false, reportedQueueDepth: 50);
        d[1].Begin();
        d[1].Complete(TimeSpan.FromMilliseconds(10), failed: false, reportedQueueDepth: 0);
        var selector = new AdaptiveSelector(new Random(3));
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(1, selector.Pick(d)));
    }

    [Fact]
    public void Complete_Failure_CountsAsSlowSample()
    {
        var model = new LatencyModel(_time, failurePenalty: TimeSpan.FromSeconds(2));
        var d = new DestinationStats("a", model);
        d.Begin();
        d.Complete(TimeSpan.FromMilliseconds(3), failed: true);
        Assert.Equal(2.0, d.LatencyEstimate(_time.GetTimestamp()), 3);
        Assert.Equal(1, d.Failures);
    }

    [Fact]
    public void LatencyEstimate_PeakThenDecay_FollowsPeakEwma()
    {
        var d = new DestinationStats("a", new LatencyModel(_time, decayTime: TimeSpan.FromSeconds(10)));
        d.Begin();
        d.Complete(TimeSpan.FromMilliseconds(10), false);
        d.Begin();
        d.Complete(TimeSpan.FromMilliseconds(200), false); // above: replaces at once
        Assert.Equal(0.200, d.LatencyEstimate(_time.GetTimestamp()), 6);
        _time.Advance(TimeSpan.FromSeconds(10));
        d.Begin();
        d.Complete(TimeSpan.FromMilliseconds(10), false); // below: w = e^-1
        var expected = (0.200 * Math.Exp(-1)) + (0.010 * (1 - Math.Exp(-1)));
        Assert.Equal(expected, d.LatencyEstimate(_time.GetTimestamp()), 6);
    }
}
