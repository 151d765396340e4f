using Benchmarks.Sim.Engine;
using Xunit.Abstractions;
using Sim = Benchmarks.Sim.Engine.Simulation;
using Benchmarks.Sim.Policies;

namespace Gateway.Tests.Simulation;

public class SimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Run_SameSeed_IdenticalNumbers()
    {
        var scenario = SimScenarios.Shipped("two-destinations");
        var a = new Sim(scenario, "Adaptive", 7).Run();
        var b = new Sim(scenario, "Adaptive", 7).Run();
        Assert.Equal(a.Latencies, b.Latencies);
        Assert.Equal(a.PerBucket, b.PerBucket);
        Assert.Equal(a.Imbalance, b.Imbalance);
        Assert.Equal((a.WithinTimeout, a.MeanWait, a.AverageImbalance), (b.WithinTimeout, b.MeanWait, b.AverageImbalance));
    }

    [Fact]
    public void Run_OtherSeed_OtherNumbers()
    {
        var scenario = SimScenarios.Shipped("two-destinations");
        var a = new Sim(scenario, "Adaptive", 7).Run();
        var b = new Sim(scenario, "Adaptive", 8).Run();
        Assert.NotEqual(a.Latencies, b.Latencies);
    }

    [Fact]
    public void Run_SameSeedDifferentPolicies_ServeTheSameRequests()
    {
        // Common random numbers: the workload stream does not depend on what the policy does.
        var scenario = SimScenarios.Shipped("two-destinations");
        var a = new Sim(scenario, "RoundRobin", 3).Run();
        var b = new Sim(scenario, "LeastConnections", 3).Run();
        Assert.Equal(a.Requests, b.Requests);
    }

    [Theory]
    [InlineData(1, 0.5)] // M/M/1 at rho 0.5: Wq = rho / (mu - lambda)
    [InlineData(1, 0.8)]
    [InlineData(4, 0.7)] // M/M/4: Erlang C
    [InlineData(8, 0.8)]
    public void Run_MmcStation_MeanWaitWithinFivePercentOfErlangC(int servers, double rho)
    {
        const double meanService = 0.01;
        var rate = rho * servers / meanService;
        var scenario = SimScenarios.Station(servers, rate, meanService, duration: 400_000 / rate);
        var result = new Sim(scenario, "RoundRobin", 11).Run();
        var expected = ErlangC.MeanWait(servers, rate, meanService);
        output.WriteLine($"M/M/{servers} rho {rho}: {result.Requests} requests, mean wait {result.MeanWait * 1000:0.0000} ms, Erlang C {expected * 1000:0.0000} ms ({(result.MeanWait / expected) - 1:+0.0%;-0.0%}), {result.WallTime.TotalMilliseconds:0} ms");
        Assert.InRange(result.MeanWait, expected * 0.95, expected * 1.05);
    }

    [Fact]
    public void Run_SmallestShippedScenario_EveryPolicyAnswersEveryRequest()
    {
        var scenario = SimScenarios.Shipped("two-destinations");
        foreach (var policy in SimPolicies.Names)
        {
            var result = new Sim(scenario, policy, scenario.Seed).Run();
            Assert.True(result.Requests > 5_000, policy);
            Assert.Equal(result.Requests, result.Latencies.Length);
            Assert.InRange(result.WithinTimeoutShare, 0.9, 1.0);
        }
    }

    [Fact]
    public void Run_Linkerd2016_PublishedShape_AdaptiveAtLeast99Point9Percent()
    {
        // The published shape (round-robin ~95%, least-loaded ~99%, peak-EWMA ~99.9% within 1 s) as a regression guard
        // for the policy cores, with the gateway's client-timeout behaviour (abandon; a stalled destination held back).
        var scenario = SimScenarios.Shipped("linkerd-2016");
        double Within(string policy) => new Sim(scenario, policy, scenario.Seed).Run().WithinTimeoutShare;
        Assert.InRange(Within("RoundRobin"), 0.94, 0.965);
        Assert.InRange(Within("LeastConnections"), 0.985, 0.995);
        Assert.InRange(Within("Adaptive"), 0.999, 1.0);
    }

    [Fact]
    public void Run_OtherClients_QueueDepthCutsAdaptiveTail()
    {
        // Other clients fill two destinations to 90%: load the gateway's in-flight count cannot see. With the
        // X-Queue-Depth the destinations report, Adaptive sees it before the latency estimate does.
        var scenario = SimScenarios.Shipped("other-clients");
        var plain = new Sim(scenario, "Adaptive", scenario.Seed).Run();
        var reported = new Sim(scenario, "Adaptive+QueueDepth", scenario.Seed).Run();
        output.WriteLine($"p99 {plain.Percentile(99) * 1000:F1} -> {reported.Percentile(99) * 1000:F1} ms, p99.9 {plain.Percentile(99.9) * 1000:F1} -> {reported.Percentile(99.9) * 1000:F1} ms");

        Assert.True(reported.Percentile(99) < 0.95 * plain.Percentile(99));
        Assert.True(reported.Percentile(99.9) < 0.8 * plain.Percentile(99.9));
        Assert.True(reported.MeanWait < plain.MeanWait);
    }
}
