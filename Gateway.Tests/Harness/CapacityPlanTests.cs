using Benchmarks.Capacity;
using Spectre.Console;

namespace Gateway.Tests.Harness;

public class CapacityPlanTests
{
    [Fact]
    public void Plan_SeedsExample_MatchesHandComputation()
    {
        // The seeds' calculate_capacity(peak_rps=5000, latency_target_ms=50, single_instance_rps=200), by hand:
        // base 5000 / 200 = 25; spike 25 x 0.2 = 5; N+1 = 1; failure 25 x 0.01 = 0.25; ceil(31.25) = 32 replicas,
        // 32 x 200 = 6400 req/s. Little's law: 5000 req/s x 0.05 s = 250 requests in flight.
        var plan = new CapacityPlan(5000, 0.050, 200);
        Assert.Equal(25, plan.BaseReplicas, 9);
        Assert.Equal(5, plan.SpikeReplicas, 9);
        Assert.Equal(0.25, plan.FailureReplicas, 9);
        Assert.Equal(32, plan.FormulaReplicas);
        Assert.Equal(32, plan.TotalReplicas);
        Assert.Equal(6400, plan.MaxRps, 9);
        Assert.Equal(250, plan.Concurrency, 9);
        Assert.Equal(5000.0 / 6400, plan.UtilizationAtPeak, 9);
    }

    [Fact]
    public void Plan_SeedsLittleExample_NeedsFiveReplicasForConcurrency()
    {
        // The seeds' Little's-law example: 1000 req/s x 50 ms = 50 in flight; 10 per server: 5 servers.
        var plan = new CapacityPlan(1000, 0.050, 1000, ReplicaConcurrency: 10);
        Assert.Equal(50, plan.Concurrency, 9);
        Assert.Equal(5, plan.ConcurrencyReplicas);
        Assert.Equal(3, plan.FormulaReplicas); // ceil(1 + 0.2 + 1 + 0.01)
        Assert.Equal(5, plan.TotalReplicas); // the concurrency floor wins
    }

    [Fact]
    public void Plan_ExactSum_DoesNotRoundUpOnFloatingPointNoise()
    {
        // base 1000 / 110 = 9.0909..., x 1.21 (spike 0.2, failure 0.01) + 1 = exactly 12, but 12.000000000000002 in binary.
        var plan = new CapacityPlan(1000, 0.05, 110);
        Assert.True(plan.BaseReplicas + plan.SpikeReplicas + plan.Redundancy + plan.FailureReplicas > 12);
        Assert.Equal(12, plan.FormulaReplicas);
    }

    [Fact]
    public async Task Command_SeedsExample_PrintsTheReplicasAndConcurrency()
    {
        var (rc, text) = await RunAsync("--peak-rps", "5000", "--latency-ms", "50", "--worker-rps", "200");
        Assert.Equal(0, rc);
        Assert.Matches(@"REPLICAS\s*\S\s*32\s", text);
        Assert.Matches(@"Little's law concurrency\s*\S\s*250\s", text);
        Assert.Matches(@"capacity\s*\S\s*6400 req/s", text);
    }

    [Fact]
    public async Task Command_MissingPeak_FailsWithUsage()
    {
        var (rc, text) = await RunAsync("--latency-ms", "50", "--worker-rps", "x");
        Assert.Equal(2, rc);
        Assert.Contains("--worker-rps needs a number", text, StringComparison.Ordinal);
        Assert.Contains("usage: capacity", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_Measure_SaturatesARealWorker()
    {
        var (rc, text) = await RunAsync("--peak-rps", "500", "--latency-ms", "50", "--measure", "--model", "small", "--seconds", "1", "--concurrency", "8");
        Assert.True(rc == 0, text);
        Assert.Contains("measured: one ModelWorker (small model) with 8 in flight", text, StringComparison.Ordinal);
        Assert.Matches(@"REPLICAS\s*\S\s*[1-9]", text);
    }

    private static async Task<(int Rc, string Text)> RunAsync(params string[] args)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 250;
        var rc = await CapacityCommand.RunAsync(args, console);
        return (rc, writer.ToString());
    }
}
