using Gateway.LoadBalancing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.LoadBalancing;

/// <summary>
/// The estimate's decay on read is for re-probing a destination that stopped getting traffic; found by the
/// simulator's Linkerd scenario, where a stuck destination whose requests all timed out (abandoned, so no sample)
/// looked faster every second and Adaptive fell to round-robin's 95.9% within 1 s.
/// </summary>
public class LatencyEstimateDecayTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void LatencyEstimate_RequestsOutstandingWithoutAnswers_DoesNotDecay()
    {
        var d = new DestinationStats("a", new LatencyModel(_time, decayTime: TimeSpan.FromSeconds(10)));
        d.Begin();
        d.Complete(TimeSpan.FromMilliseconds(200), failed: false);
        d.Begin(); // sent, never answered
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0.200, d.LatencyEstimate(_time.GetTimestamp()), 6);
    }

    [Fact]
    public void LatencyEstimate_IdleAfterAbandon_DecaysTowardZero()
    {
        var d = new DestinationStats("a", new LatencyModel(_time, decayTime: TimeSpan.FromSeconds(10)));
        d.Begin();
        d.Complete(TimeSpan.FromMilliseconds(200), failed: false);
        d.Begin();
        d.Abandon();
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0.200 * Math.Exp(-1), d.LatencyEstimate(_time.GetTimestamp()), 6);
    }
}
