using System.Diagnostics.Metrics;
using Gateway.Admin;
using Gateway.Config;
using Gateway.Split;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Split;

public sealed class CanaryAnalyzerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeCounters _counters = new();
    private readonly ConfigState _config;
    private readonly TrafficSplits _splits;
    private readonly OpsEventLog _events;
    private readonly CanaryAnalyzer _analyzer;

    public CanaryAnalyzerTests()
    {
        _config = new ConfigState(new InMemoryConfigProvider([], []), _time);
        _splits = new TrafficSplits(_config, _time);
        _events = new OpsEventLog(_time);
        var metrics = new SplitMetrics(_services.GetRequiredService<IMeterFactory>(), _splits, $"test.{Guid.NewGuid():N}");
        _analyzer = new CanaryAnalyzer(_splits, _counters.ReadAsync, metrics, _events, _time, NullLogger<CanaryAnalyzer>.Instance);
        Apply(new SplitOptions
        {
            Weights = new Dictionary<string, int> { ["stable"] = 100, ["canary"] = 0 },
            Analysis = new CanaryAnalysisOptions { Stable = "stable", Canary = "canary", IntervalSeconds = 30, MinRequests = 20 },
        });
    }

    public void Dispose() => _services.Dispose();

    private void Apply(SplitOptions split) => _config.Apply(new GatewayConfig(
        [new RouteConfig { RouteId = "r", ClusterId = "stable", Match = new RouteMatch { Path = "/{**all}" } }],
        [new ClusterConfig { ClusterId = "stable" }, new ClusterConfig { ClusterId = "canary" }],
        new LbProxyOptions { Splits = new Dictionary<string, SplitOptions> { ["r"] = split } }, "test"));

    private int CanaryWeight => _splits.Find("r")!.Weight("canary");

    private CanaryRun Run => _splits.Runs["r"];

    /// <summary>One window of traffic at the split's current shares, then the window's end.</summary>
    private async Task WindowAsync(double canaryErrorRate, double canarySeconds, int requests = 1000)
    {
        var canary = requests * CanaryWeight / 100;
        _counters.Add("canary", canary, (long)(canary * canaryErrorRate), canarySeconds);
        _counters.Add("stable", requests - canary, 0, 0.005);
        _time.Advance(TimeSpan.FromSeconds(30));
        await _analyzer.EvaluateAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Evaluate_HealthyCanary_PromotedInStepsTo100()
    {
        await _analyzer.EvaluateAsync(CancellationToken.None);
        Assert.Equal(10, CanaryWeight); // the first step, whatever the file's weights said
        Assert.Equal(90, _splits.Find("r")!.Weight("stable"));

        await WindowAsync(0, 0.005);
        Assert.Equal(50, CanaryWeight);
        Assert.Equal(CanaryPhases.Running, Run.Phase);

        await WindowAsync(0, 0.005);
        Assert.Equal(100, CanaryWeight);
        Assert.Equal(0, _splits.Find("r")!.Weight("stable"));
        Assert.Equal(CanaryPhases.Promoted, Run.Phase);
        Assert.Equal([CanaryPhases.Start, CanaryPhases.Promote, CanaryPhases.Promote], Run.Decisions.Select(d => d.Decision));

        var reads = _counters.Reads;
        await WindowAsync(0, 0.005); // a finished run decides nothing more
        Assert.Equal(reads, _counters.Reads);
        Assert.Equal(3, _events.Snapshot().Count(e => e.Kind == OpsEventKinds.Canary));
    }

    [Fact]
    public async Task Evaluate_ErroringCanary_RolledBackToZero()
    {
        await _analyzer.EvaluateAsync(CancellationToken.None);
        await WindowAsync(0.2, 0.005);
        Assert.Equal(0, CanaryWeight);
        Assert.Equal(100, _splits.Find("r")!.Weight("stable"));
        Assert.Equal(CanaryPhases.RolledBack, Run.Phase);
        Assert.Contains("error rate 20.0%", Run.Decisions[^1].Reason, StringComparison.Ordinal);
        Assert.Contains(_events.Snapshot(), e => e.Kind == OpsEventKinds.CanaryRollback && e.Subject == "route r");
    }

    [Fact]
    public async Task Evaluate_SlowCanary_RolledBackOnP95()
    {
        await _analyzer.EvaluateAsync(CancellationToken.None);
        await WindowAsync(0, 0.5);
        Assert.Equal(CanaryPhases.RolledBack, Run.Phase);
        Assert.Contains("p95", Run.Decisions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_WindowNotOverOrTooFewRequests_Holds()
    {
        await _analyzer.EvaluateAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(29));
        await _analyzer.EvaluateAsync(CancellationToken.None);
        Assert.Single(Run.Decisions); // the window is not over: nothing decided, nothing read

        await WindowAsync(0, 0.005, requests: 100); // 10 canary requests, 20 needed
        Assert.Equal(CanaryPhases.Hold, Run.Decisions[^1].Decision);
        Assert.Equal(10, CanaryWeight);
    }

    [Fact]
    public async Task Evaluate_SplitReplacedByApi_StartsANewRun()
    {
        await _analyzer.EvaluateAsync(CancellationToken.None);
        await WindowAsync(0, 0.005);
        Assert.Equal(50, CanaryWeight);

        _splits.Set("r", _splits.Find("r")!.Options with { Weights = new Dictionary<string, int> { ["stable"] = 100, ["canary"] = 0 } });
        await _analyzer.EvaluateAsync(CancellationToken.None);
        Assert.Equal(10, CanaryWeight);
        Assert.Equal(CanaryPhases.Start, Assert.Single(Run.Decisions).Decision);
    }
}
