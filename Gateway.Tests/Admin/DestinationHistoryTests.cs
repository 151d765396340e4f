using Gateway.Admin;
using Gateway.LoadBalancing;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Admin;

public class DestinationHistoryTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Record_OneSecondOfRequests_RateErrorShareAndP95FromTheRecordAndBuckets()
    {
        var stats = new DestinationStats("w1", new LatencyModel(_time));
        var view = new DestinationView("fleet", "Adaptive", new DestinationState("w1"), stats, true, CircuitState.Closed, 0, false, null);
        var history = new DestinationHistory(capacity: 3, p95WindowSeconds: 5);
        history.Record(view, _time.GetUtcNow(), _time.GetTimestamp(), _time, [(0.1, 0), (1, 0), (double.PositiveInfinity, 0)]);
        Assert.Empty(history.Samples()); // the first reading is the baseline

        for (var i = 0; i < 20; i++)
        {
            stats.Begin();
            stats.Complete(TimeSpan.FromMilliseconds(50), failed: i < 5);
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        history.Record(view, _time.GetUtcNow(), _time.GetTimestamp(), _time, [(0.1, 10), (1, 20), (double.PositiveInfinity, 20)]);

        var sample = Assert.Single(history.Samples());
        Assert.Equal(10, sample.Rps, 3);          // 20 completions in 2 s
        Assert.Equal(0.25, sample.ErrorRate, 3);  // 5 of them failed
        Assert.Equal(0.1 + (0.9 * 9 / 10), sample.P95Seconds, 3); // rank 19 of 20, inside the (0.1, 1] bucket
    }

    [Fact]
    public void Record_QuietSecondsAndFullRing_NaNWithoutRequestsAndOnlyTheNewestKept()
    {
        var stats = new DestinationStats("w1", new LatencyModel(_time));
        var view = new DestinationView("fleet", "Adaptive", new DestinationState("w1"), stats, true, CircuitState.Closed, 0, false, null);
        var history = new DestinationHistory(capacity: 3, p95WindowSeconds: 2);
        for (var i = 0; i < 6; i++)
        {
            history.Record(view, _time.GetUtcNow(), _time.GetTimestamp(), _time, []);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var samples = history.Samples();
        Assert.Equal(3, samples.Length);
        Assert.All(samples, s => Assert.Equal(0, s.Rps));
        Assert.All(samples, s => Assert.True(double.IsNaN(s.ErrorRate) && double.IsNaN(s.P95Seconds)));
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(1), samples[^1].At);

        history.MarkGone(_time.GetUtcNow());
        Assert.Equal(_time.GetUtcNow(), history.GoneAt);
    }
}
