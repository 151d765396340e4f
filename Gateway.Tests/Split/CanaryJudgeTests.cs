using Gateway.Split;

namespace Gateway.Tests.Split;

public class CanaryJudgeTests
{
    private static readonly CanaryAnalysisOptions s_options = new() { Stable = "s", Canary = "c", MinRequests = 20 };

    [Fact]
    public void Judge_TooFewCanaryRequests_Holds()
    {
        var (decision, reason) = CanaryJudge.Judge(s_options, new ClusterWindow(1000, 0, 0.01), new ClusterWindow(19, 19, 5));
        Assert.Equal(CanaryPhases.Hold, decision);
        Assert.Contains("only 19 canary requests", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_ErrorRateAboveSeedsThresholdPlusTolerance_RollsBack()
    {
        // Stable 2% errors: the limit is 2% x 1.5 + 1% = 4%; 5% is worse, 4% is not.
        var stable = new ClusterWindow(1000, 20, 0.010);
        Assert.Equal(CanaryPhases.Rollback, CanaryJudge.Judge(s_options, stable, new ClusterWindow(100, 5, 0.010)).Decision);
        Assert.Equal(CanaryPhases.Promote, CanaryJudge.Judge(s_options, stable, new ClusterWindow(100, 4, 0.010)).Decision);
    }

    [Fact]
    public void Judge_P95AboveSeedsThresholdPlusTolerance_RollsBack()
    {
        // Stable p95 100 ms: the limit is 100 x 1.1 + 5 = 115 ms.
        var stable = new ClusterWindow(1000, 0, 0.100);
        var (decision, reason) = CanaryJudge.Judge(s_options, stable, new ClusterWindow(100, 0, 0.116));
        Assert.Equal(CanaryPhases.Rollback, decision);
        Assert.Contains("p95 116 ms above 115 ms", reason, StringComparison.Ordinal);
        Assert.Equal(CanaryPhases.Promote, CanaryJudge.Judge(s_options, stable, new ClusterWindow(100, 0, 0.114)).Decision);
    }

    [Fact]
    public void Judge_StableWithoutEnoughSamples_DecidesOnErrorsAlone()
    {
        var stable = new ClusterWindow(3, 0, 0.001);
        Assert.Equal(CanaryPhases.Promote, CanaryJudge.Judge(s_options, stable, new ClusterWindow(100, 0, 0.5)).Decision);
        Assert.Equal(CanaryPhases.Rollback, CanaryJudge.Judge(s_options, stable, new ClusterWindow(100, 2, 0.001)).Decision);
    }
}
