using System.Diagnostics;
using Gateway.Config;
using Gateway.Fleet;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fleet;

/// <summary>
/// The supervisor's reconcile loop on the real clock with fake workers behind its launcher seam (each a real Kestrel
/// on 127.0.0.1): a slow start never holds up a replacement, probes run at once, an exception never ends the loop,
/// a launcher that cannot tie workers to the gateway is reported, and (on a fake clock) restarts back off.
/// </summary>
public sealed class FleetSupervisorTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);
    private readonly List<string> _log = [];
    private ServiceProvider? _services;
    private FleetSupervisor? _supervisor;

    [Fact]
    public async Task Reconcile_AStartThatNeverGetsReady_DoesNotHoldUpReplacingAWorkerThatExited()
    {
        // worker-2 never answers /ready; its start may take the whole 60 s start timeout.
        var launcher = new FakeWorkerLauncher { Configure = w => w.ReadyStatus = w.Id == "worker-2" ? 503 : 200 };
        var supervisor = await StartAsync(new FleetOptions { Workers = 2, StartTimeoutSeconds = 60 }, launcher);
        await WaitUntilAsync(() => State(supervisor, "worker-1") == "Ready", "worker-1 ready");

        await launcher.Started["worker-1"].ExitAsync();

        await WaitUntilAsync(() => State(supervisor, "worker-3") == "Ready", "worker-3 replacing the exited worker-1");
        Assert.Equal("Starting", State(supervisor, "worker-2"));
    }

    [Fact]
    public async Task Start_WorkerNeverReportsItsAddress_NeverInRotationAndReplacedAtTheStartTimeout()
    {
        // worker-1's /ready answers 200 at the address the test knows, but the worker never said it listens there: a
        // port is only trusted once the process reports it (a port somebody else holds would answer too).
        var launcher = new FakeWorkerLauncher { Configure = w => w.ReportsAddress = w.Id != "worker-1" };
        var supervisor = await StartAsync(new FleetOptions { Workers = 1, StartTimeoutSeconds = 2 }, launcher);
        var states = new HashSet<string>();
        await WaitUntilAsync(() =>
        {
            states.Add(State(supervisor, "worker-1") ?? "gone");
            return State(supervisor, "worker-2") == "Ready";
        }, "worker-2 replacing worker-1");

        Assert.DoesNotContain("Ready", states);
        Assert.True(Logged("Fleet: worker-1 (pid"), "no line about worker-1");
        Assert.True(Logged("did not report a listening address within 2 s"), "the reason is not logged");
        var published = _services!.GetRequiredService<Yarp.ReverseProxy.Configuration.InMemoryConfigProvider>().GetConfig();
        Assert.Equal(["worker-2"], published.Clusters.Single(c => c.ClusterId == FleetOptions.DefaultClusterId).Destinations!.Keys);
    }

    [Fact]
    public async Task Reconcile_SeveralWorkersHang_ProbesThemAllAtOnce()
    {
        var launcher = new FakeWorkerLauncher();
        var supervisor = await StartAsync(new FleetOptions { Workers = 3 }, launcher);
        await WaitUntilAsync(() => supervisor.Workers.Count(w => w.State == "Ready") == 3, "three ready workers");

        foreach (var worker in launcher.Started.Values)
        {
            worker.HangHealth = true;
        }

        // One after another, each hung probe would hold the next for its 2 s timeout: never more than one at a time.
        await WaitUntilAsync(() => launcher.Probes.Max == 3, "three liveness probes in flight at once");
    }

    [Fact]
    public async Task Reconcile_UnexpectedException_IsLoggedAndSupervisingGoesOn()
    {
        var launcher = new FakeWorkerLauncher();
        var supervisor = await StartAsync(new FleetOptions { Workers = 1 }, launcher);
        await WaitUntilAsync(() => State(supervisor, "worker-1") == "Ready", "worker-1 ready");

        launcher.Started["worker-1"].ThrowOnNextStateRead();
        await WaitUntilAsync(() => Logged("[327]"), "the failed pass logged");
        await launcher.Started["worker-1"].ExitAsync();

        await WaitUntilAsync(() => State(supervisor, "worker-2") == "Ready", "worker-2 replacing worker-1 after the failed pass");
        Assert.False(supervisor.ExecuteTask!.IsCompleted, "the supervisor's loop ended");
        Assert.Contains(Lines(), l => l.Contains("[327]", StringComparison.Ordinal) && l.Contains("InvalidOperationException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WorkersCannotBeTiedToTheGateway_WarnsAndTheViewSaysSo()
    {
        var supervisor = await StartAsync(new FleetOptions { Workers = 1 }, new FakeWorkerLauncher(workersDieWithGateway: false));

        await supervisor.InitialReady.WaitAsync(Limit);

        Assert.False(new FleetSupervisorView(supervisor).WorkersDieWithGateway);
        Assert.Contains(Lines(), l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("setpriv (util-linux) is not installed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WorkersTiedToTheGateway_NoWarning()
    {
        var supervisor = await StartAsync(new FleetOptions { Workers = 1 }, new FakeWorkerLauncher());

        await supervisor.InitialReady.WaitAsync(Limit);

        Assert.True(new FleetSupervisorView(supervisor).WorkersDieWithGateway);
        Assert.DoesNotContain(Lines(), l => l.Contains("setpriv", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reconcile_WorkersDieAtStart_BackOffDoublesOnTheInjectedClockAndACrashLoopIsReported()
    {
        var time = new FakeTimeProvider();
        var starts = new List<DateTimeOffset>();
        var launcher = new FakeWorkerLauncher
        {
            Configure = w =>
            {
                lock (starts)
                {
                    starts.Add(time.GetUtcNow());
                }

                w.ExitAsync().GetAwaiter().GetResult(); // dies before it ever answers /ready
            },
        };
        await StartAsync(new FleetOptions { Workers = 1 }, launcher, time);

        // Only the fake clock moves the supervisor's ticks and backoff; step it until six starts were made.
        var clock = Stopwatch.StartNew();
        while (Count(starts) < 6)
        {
            Assert.True(clock.Elapsed < Limit, $"{Count(starts)} starts after {time.GetUtcNow() - time.Start} of fake time");
            time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(10);
        }

        double[] gaps;
        lock (starts)
        {
            gaps = starts.Zip(starts.Skip(1), (a, b) => (b - a).TotalSeconds).ToArray();
        }

        // Each start waits at least the backoff of the failure before it: 1, 2, 4, 8, 16 s.
        Assert.All(gaps.Select((gap, i) => (gap, least: Math.Pow(2, i))), g => Assert.True(g.gap >= g.least, $"gaps {string.Join(", ", gaps)} s"));
        Assert.True(gaps[4] < 60, $"gaps {string.Join(", ", gaps)} s");
        Assert.True(Logged("crash loop: 5 worker restarts in the last minute"), "no crash loop reported");
    }

    public async ValueTask DisposeAsync()
    {
        if (_supervisor is not null)
        {
            await _supervisor.StopAsync(CancellationToken.None);
            _supervisor.Dispose();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    private static int Count(List<DateTimeOffset> starts)
    {
        lock (starts)
        {
            return starts.Count;
        }
    }

    private async Task<FleetSupervisor> StartAsync(FleetOptions fleet, FakeWorkerLauncher launcher, TimeProvider? time = null)
    {
        fleet = fleet with { DrainSeconds = 1, Autoscale = new AutoscaleOptions { Enabled = false } };
        _services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Information).AddProvider(new ListLoggerProvider(_log)))
            .AddMetrics()
            .AddLbProxyGateway(new GatewayHostOptions { Time = time ?? TimeProvider.System })
            .BuildServiceProvider();
        _services.GetRequiredService<ConfigState>().Apply(EmbeddedConfig.Create(fleet));
        _supervisor = ActivatorUtilities.CreateInstance<FleetSupervisor>(_services, fleet, launcher);
        await _supervisor.StartAsync(CancellationToken.None);
        return _supervisor;
    }

    private static string? State(FleetSupervisor supervisor, string id) => supervisor.Workers.FirstOrDefault(w => w.Id == id)?.State;

    private bool Logged(string text) => Lines().Any(l => l.Contains(text, StringComparison.Ordinal));

    private List<string> Lines()
    {
        lock (_log)
        {
            return [.. _log];
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Limit, $"timed out after {Limit.TotalSeconds} s waiting for {what}");
            await Task.Delay(50);
        }
    }
}
