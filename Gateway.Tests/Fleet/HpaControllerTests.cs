using Gateway.Fleet;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fleet;

/// <summary>The HPA arithmetic and behaviour, checked against the examples of the Kubernetes HPA documentation.</summary>
public class HpaControllerTests
{
    private readonly FakeTimeProvider _time = new();

    private static HpaMetric Cpu(double current, double target = 100) => new("cpu", current, target);

    [Theory]
    // "if the current metric value is 200m, and the desired value is 100m, the number of replicas will be doubled"
    [InlineData(3, 200, 100, 6)]
    // "if the current value is instead 50m, you'll halve the number of replicas"
    [InlineData(4, 50, 100, 2)]
    // within the 0.1 tolerance: no change
    [InlineData(10, 105, 100, 10)]
    [InlineData(10, 91, 100, 10)]
    // just outside: ceil(10 x 1.11) = 12
    [InlineData(10, 111, 100, 12)]
    public void Proposal_DocumentationExamples(int current, double metric, double target, int expected) =>
        Assert.Equal(expected, HpaController.Proposal(current, new HpaMetric("m", metric, target), 0.1));

    [Fact]
    public void Decide_SeveralMetrics_LargestProposalWins()
    {
        var hpa = new HpaController(1, 100, _time, scaleUp: new ScalingRules(0, []));
        var decision = hpa.Decide(4, [Cpu(50), new HpaMetric("queue", 60, 20), new HpaMetric("p95", 0.6, 0.5)]);
        Assert.Equal(12, decision.Desired);
        Assert.Equal("queue", decision.Driver);
    }

    [Fact]
    public void Decide_ScaleUp_LimitedToMaxOf100PercentAnd4PodsPer15s()
    {
        var hpa = new HpaController(1, 100, _time);
        // 1 replica wants 10: 100% allows 2, 4 pods allow 5; the larger wins.
        Assert.Equal(5, hpa.Decide(1, [Cpu(1000)]).Desired);
        _time.Advance(TimeSpan.FromSeconds(5));
        // Within the same 15 s period the limit counts from the period's start (1 replica): still 5.
        Assert.Equal(5, hpa.Decide(5, [Cpu(1000)]).Desired);
        _time.Advance(TimeSpan.FromSeconds(11));
        // A new period from 5: 100% allows 10, 4 pods allow 9.
        Assert.Equal(10, hpa.Decide(5, [Cpu(1000)]).Desired);
    }

    [Fact]
    public void Decide_ScaleDown_WaitsForTheStabilizationWindow()
    {
        var hpa = new HpaController(1, 100, _time);
        Assert.Equal(10, hpa.Decide(10, [Cpu(100)]).Desired);
        for (var t = 15; t < 300; t += 15)
        {
            _time.Advance(TimeSpan.FromSeconds(15));
            Assert.Equal(10, hpa.Decide(10, [Cpu(10)]).Desired); // the window still holds the recommendation of 10
        }

        _time.Advance(TimeSpan.FromSeconds(15));
        // 300 s on, every recommendation in the window is 1: down, but by at most 10% per 60 s: int(10 x 0.9) = 9.
        Assert.Equal(9, hpa.Decide(10, [Cpu(10)]).Desired);
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(9, hpa.Decide(9, [Cpu(10)]).Desired); // same 60 s period: counted from 10 -> 9
        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(8, hpa.Decide(9, [Cpu(10)]).Desired); // new period from 9: int(8.1) = 8
    }

    [Fact]
    public void Decide_ShortSpikeDown_DoesNotShrinkTheFleet()
    {
        var hpa = new HpaController(1, 100, _time);
        hpa.Decide(6, [Cpu(100)]);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(6, hpa.Decide(6, [Cpu(20)]).Desired);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(6, hpa.Decide(6, [Cpu(100)]).Desired);
    }

    [Fact]
    public void Decide_ClampsIntoMinAndMax()
    {
        var hpa = new HpaController(2, 4, _time, scaleUp: new ScalingRules(0, []), scaleDown: new ScalingRules(0, []));
        Assert.Equal(4, hpa.Decide(3, [Cpu(1000)]).Desired);
        Assert.Equal(2, hpa.Decide(4, [Cpu(1)]).Desired);
    }

    [Fact]
    public void Decide_NoMetrics_KeepsCurrent() =>
        Assert.Equal(3, new HpaController(1, 10, _time).Decide(3, []).Desired);
}
