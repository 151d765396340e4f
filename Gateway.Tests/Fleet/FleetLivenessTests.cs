using System.Diagnostics;
using Gateway.Fleet;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Gateway.Tests.Fleet;

/// <summary>
/// A worker whose inference hangs, end to end: the gateway's real supervisor with a real ModelWorker process whose
/// model Run hangs from its first batch (the worker's test-only --test-only-hang-after-batches 0). Its /health turns
/// 503 once the Run is over --batch-run-limit-ms, and the supervisor replaces it.
/// </summary>
[Collection(FleetProcesses.Name)]
public sealed class FleetLivenessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Supervisor_WorkerInferenceHangs_ReplacesTheWorker()
    {
        var fleet = new FleetOptions
        {
            Workers = 1,
            DrainSeconds = 2,
            Autoscale = new AutoscaleOptions { Enabled = false },
            WorkerArgs = ["--test-only-hang-after-batches", "0", "--batch-run-limit-ms", "1000", "--intra-op-threads", "1"],
        };
        var log = new List<string>();
        var host = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            Config = EmbeddedConfig.Create(fleet),
            Urls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
        }, logging => logging.SetMinimumLevel(LogLevel.Information).AddProvider(new ListLoggerProvider(log)));
        try
        {
            await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(60));
            var hung = Assert.Single(host.Fleet.Workers);
            using var client = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]) };
            using var abandon = new CancellationTokenSource();

            // The one request that makes the model's Run hang; it never gets an answer from this worker.
            using var content = new StringContent("""{"features":[5.1,3.5,1.4,0.2]}""", System.Text.Encoding.UTF8, "application/json");
            var stuck = client.PostAsync("/predict", content, abandon.Token);

            var clock = Stopwatch.StartNew();
            while (!host.Fleet.Workers.Any(w => w.Id != hung.Id && w.State == "Ready"))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the hung worker was not replaced within 60 s");
                await Task.Delay(100);
            }

            output.WriteLine($"{hung.Id} (pid {hung.Pid}) replaced after {clock.Elapsed.TotalSeconds:0.0} s by " +
                string.Join(", ", host.Fleet.Workers.Select(w => $"{w.Id} {w.State}")));
            await abandon.CancelAsync();
            try
            {
                using var answer = await stuck; // when the hung worker was killed: the gateway's answer to its try
                output.WriteLine($"the request that hung the worker ended with {(int)answer.StatusCode}");
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
            {
                output.WriteLine($"the request that hung the worker was abandoned ({ex.GetType().Name})");
            }

            lock (log)
            {
                Assert.Contains(log, l => l.Contains($"{hung.Id} (pid {hung.Pid}) failed 3 liveness checks in a row", StringComparison.Ordinal));
            }

            clock.Restart();
            while (Alive(hung.Pid))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the hung worker (pid {hung.Pid}) is still running");
                await Task.Delay(100);
            }
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
