using Gateway.LoadBalancing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Health;

/// <summary>Slow start: a destination that (re)joins ramps its share as Envoy's slow_start_config does.</summary>
public sealed class SlowStartTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    // Envoy: max(min_weight_percent / 100, (time_since_start / window) ^ (1 / aggression)).
    private static double Envoy(double t, double minPercent, double aggression) => Math.Max(minPercent / 100, Math.Pow(t, 1 / aggression));

    [Theory]
    [InlineData(1.0, 10.0)]
    [InlineData(2.0, 10.0)]
    [InlineData(1.0, 30.0)]
    [InlineData(0.5, 5.0)]
    public void UpdateRamp_AlongTheWindow_EqualsEnvoysFormula(double aggression, double minPercent)
    {
        var d = new DestinationStats("a", new LatencyModel(_time));
        d.StartRamp(_time.GetTimestamp());
        var elapsed = 0.0;
        foreach (var at in new[] { 0.0, 0.01, 0.05, 0.2, 0.5, 0.75, 0.99 })
        {
            _time.Advance(Window * (at - elapsed));
            elapsed = at;

            Assert.True(d.UpdateRamp(_time.GetTimestamp(), Window, minPercent, aggression));
            Assert.Equal(Envoy(at, minPercent, aggression), d.RampFactor, 3);
        }

        _time.Advance(Window * (1 - elapsed));
        Assert.False(d.UpdateRamp(_time.GetTimestamp(), Window, minPercent, aggression));
        Assert.Equal(1, d.RampFactor);
        Assert.Equal(0, d.RampStart);
    }

    [Fact]
    public void SelectionWeight_Ramping_ScalesTheWeightInTenths()
    {
        var d = new DestinationStats("a", new LatencyModel(_time), weight: 3);
        Assert.Equal(30, d.SelectionWeight);

        d.StartRamp(_time.GetTimestamp());
        _time.Advance(Window / 2);
        d.UpdateRamp(_time.GetTimestamp(), Window, 10, 1);

        Assert.Equal(15, d.SelectionWeight);
    }

    [Fact]
    public void WeightedSelector_DestinationInSlowStart_ShareRampsToItsFullShare()
    {
        var model = new LatencyModel(_time);
        var all = new[] { new DestinationStats("a", model), new DestinationStats("b", model), new DestinationStats("c", model) };
        var selector = new SmoothWeightedSelector();
        all[2].StartRamp(_time.GetTimestamp());
        var shares = new List<double>();
        foreach (var step in new[] { 0.0, 0.25, 0.5, 1.0 })
        {
            _time.Advance(Window * step - (_time.GetUtcNow() - _time.Start));
            all[2].UpdateRamp(_time.GetTimestamp(), Window, 10, 1);
            var candidates = all.ToArray(); // a new array: the selector re-plans for new weights, as the snapshots do
            var picks = Enumerable.Range(0, 2100).Select(_ => selector.Pick(candidates)).ToList();
            shares.Add(picks.Count(i => i == 2) / 2100.0);
        }

        // Weights in tenths (whole tenths for a weight-1 destination): c has 1, 2, 5, then 10 against 10 + 10.
        Assert.Equal(1 / 21.0, shares[0], 2);
        Assert.Equal(2 / 22.0, shares[1], 2);
        Assert.Equal(5 / 25.0, shares[2], 2);
        Assert.Equal(1 / 3.0, shares[3], 2);
    }
}
