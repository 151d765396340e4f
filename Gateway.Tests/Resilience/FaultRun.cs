using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Resilience;

/// <summary>
/// One fault scenario: the gateway under test, a sampler of its per-destination record and one clock that the
/// load driver, the sampler and the fault injection share, so "time to eject" is measured, not guessed.
/// </summary>
internal sealed class FaultRun : IAsyncDisposable
{
    public const double Rate = 200;
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    private readonly ITestOutputHelper _output;

    private FaultRun(GatewayUnderTest gateway, ITestOutputHelper output)
    {
        Gateway = gateway;
        _output = output;
        Sampler = GatewaySampler.Start(gateway, Clock);
    }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public GatewayUnderTest Gateway { get; }

    public GatewaySampler Sampler { get; }

    public double Now => Clock.Elapsed.TotalMilliseconds;

    /// <summary>Starts the gateway and waits (bounded) until the first probes found every destination healthy.</summary>
    public static async Task<FaultRun> StartAsync(string config, ITestOutputHelper output, bool waitHealthy = true)
    {
        // Failed probes are the point of these runs; YARP logs each one as a warning with a stack trace.
        var run = new FaultRun(await GatewayUnderTest.StartAsync(config, Microsoft.Extensions.Logging.LogLevel.Error), output);
        if (waitHealthy)
        {
            await run.WaitForAsync(() => run.Destinations().All(d => d.Health.Active == DestinationHealth.Healthy), TimeSpan.FromSeconds(10),
                "every destination healthy by active probes");
        }

        // One second of the same load first, not measured: JIT, connection pools and the thread pool warm up
        // here, so the measured run sees the gateway's steady state rather than the test process starting.
        _ = await OpenLoopDriver.RunAsync(run.Gateway.Proxy.BaseAddress!, Predict, Rate, TimeSpan.FromSeconds(1), Deadline, run.Clock);
        return run;
    }

    /// <summary>The model servers' request: inference is idempotent, so the route lets the gateway retry it.</summary>
    public static HttpRequestMessage Predict() => new(HttpMethod.Post, "/predict")
    {
        Content = new StringContent("{\"features\":[5.1,3.5,1.4,0.2]}", Encoding.UTF8, "application/json"),
    };

    public Task<LoadRun> LoadAsync(TimeSpan duration) =>
        OpenLoopDriver.RunAsync(Gateway.Proxy.BaseAddress!, Predict, Rate, duration, Deadline, Clock);

    /// <summary>Waits until the run's clock reads <paramref name="ms"/>: scenario timing, not synchronisation.</summary>
    public Task At(double ms) => Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, ms - Now)));

    public IReadOnlyList<DestinationState> Destinations() =>
        Gateway.Host.Services.GetService(typeof(Yarp.ReverseProxy.IProxyStateLookup)) is Yarp.ReverseProxy.IProxyStateLookup lookup
            && lookup.TryGetCluster("backends", out var cluster)
            ? cluster.DestinationsState.AllDestinations
            : [];

    public async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var until = Now + timeout.TotalMilliseconds;
        while (!condition())
        {
            if (Now > until)
            {
                throw new TimeoutException($"not within {timeout.TotalSeconds} s: {what}");
            }

            await Task.Delay(20);
        }
    }

    public void Report(string line) => _output.WriteLine(line);

    /// <summary>Per-second tries and every change of a destination's state, for the test output.</summary>
    public void Timeline(double start, double end)
    {
        var ids = Destinations().Select(d => d.DestinationId).Order().ToList();
        for (var t = start; t < end; t += 1000)
        {
            Report($"  {(t - start) / 1000:F0}s: " + string.Join(" ", ids.Select(id => $"{id}={Sampler.TriesBetween(id, t, t + 1000)}")));
        }

        foreach (var id in ids)
        {
            string? last = null;
            foreach (var s in Sampler.Of(id))
            {
                var state = $"available={s.Available} active={s.Active} passive={s.Passive} circuit={s.Circuit} ramp={s.RampFactor:F2}";
                if (state != last)
                {
                    Report($"  {id} @{Ms(s.Ms - start)}: {state}");
                    last = state;
                }
            }
        }
    }

    /// <summary>Retries and rejections by reason, as /status shows them.</summary>
    public string Counts()
    {
        var metrics = (global::Gateway.Admin.GatewayMetrics)Gateway.Host.Services.GetService(typeof(global::Gateway.Admin.GatewayMetrics))!;
        return string.Join(", ", metrics.Counts.OrderBy(kv => kv.Key.Kind).ThenBy(kv => kv.Key.Reason).Select(kv => $"{kv.Key.Kind}.{kv.Key.Reason}={kv.Value}"));
    }

    public static string Ms(double? ms) => ms is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) + " ms" : "never";

    public async ValueTask DisposeAsync()
    {
        await Sampler.DisposeAsync();
        await Gateway.DisposeAsync();
    }
}
