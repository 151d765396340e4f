using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Fleet;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Gateway.Tests.Fleet;

/// <summary>
/// The embedded default with real ModelWorker processes (ModelWorker.dll and the bundled model are in the test
/// output): predictions through it, a killed worker replaced without a failed request, scale up under load and
/// back down after it, and no worker left behind when the gateway stops.
/// </summary>
[Collection(FleetProcesses.Name)]
public class EmbeddedFleetEndToEndTests(ITestOutputHelper output)
{
    private static readonly object s_row = new { features = new[] { 5.1, 3.5, 1.4, 0.2 } };

    private static async Task<GatewayHost> StartAsync(FleetOptions fleet, List<string>? log = null) =>
        await GatewayHost.StartAsync(new GatewayHostOptions
        {
            Config = EmbeddedConfig.Create(fleet),
            Urls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
        }, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Information);
            if (log is not null)
            {
                logging.AddProvider(new ListLoggerProvider(log));
            }
        });

    private static async Task<int> PredictAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/predict", s_row);
        return (int)response.StatusCode;
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

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, $"timed out after {limit.TotalSeconds} s waiting for {what}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Embedded_PredictKillAndStop_ServesReplacesAndLeavesNoWorker()
    {
        var fleet = new FleetOptions { Workers = 3, Autoscale = new AutoscaleOptions { Enabled = false } };
        var host = await StartAsync(fleet);
        int[] pids;
        try
        {
            await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(3, host.Fleet.Workers.Count);
            using var client = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]) };

            var answer = await (await client.PostAsJsonAsync("/predict", s_row)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(3, answer.GetProperty("probabilities").GetArrayLength());

            // Kill one worker (SIGKILL) while predictions keep coming: none may fail, and the fleet is whole again.
            var victim = host.Fleet.Workers[0];
            var statuses = new List<int>();
            using var stop = new CancellationTokenSource();
            var load = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    statuses.Add(await PredictAsync(client));
                }
            });
            await Task.Delay(300);
            Process.GetProcessById(victim.Pid).Kill();
            await WaitUntilAsync(() => host.Fleet.Workers.Count(w => w.State == "Ready" && w.Pid != victim.Pid) == 3,
                TimeSpan.FromSeconds(30), "a replacement worker");
            await Task.Delay(300);
            await stop.CancelAsync();
            await load;
            output.WriteLine($"kill -9 of {victim.Id}: {statuses.Count} predictions, {statuses.Count(s => s != 200)} failed; " +
                $"fleet now {string.Join(", ", host.Fleet.Workers.Select(w => w.Id))}");
            Assert.All(statuses, s => Assert.Equal(200, s));
            Assert.DoesNotContain(host.Fleet.Workers, w => w.Id == victim.Id);
            pids = host.Fleet.Workers.Select(w => w.Pid).ToArray();
        }
        finally
        {
            await host.DisposeAsync();
        }

        // The gateway stopped: no worker it started is left.
        Assert.All(pids, pid => Assert.False(Alive(pid), $"worker pid {pid} outlived the gateway"));
    }

    [Fact]
    public async Task Autoscale_LoadThenIdle_ScalesUpThenBackDown()
    {
        var fleet = new FleetOptions
        {
            Workers = 2,
            DrainSeconds = 2,
            Autoscale = new AutoscaleOptions
            {
                MinReplicas = 2,
                MaxReplicas = 4,
                SyncPeriodSeconds = 1,
                TargetP95Seconds = 0.001, // any real traffic is "too slow": load must scale up
                ScaleUpPeriodSeconds = 1,
                ScaleDownStabilizationSeconds = 3,
                ScaleDownPercent = 50,
                ScaleDownPeriodSeconds = 1,
            },
        };
        var log = new List<string>();
        var host = await StartAsync(fleet, log);
        try
        {
            await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]) };
            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                var failures = 0;
                var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested && host.Fleet.Workers.Count(w => w.State == "Ready") < 4)
                    {
                        if (await PredictAsync(client) != 200)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                })).ToArray();
                await Task.WhenAll(load);
                Assert.Equal(0, failures);
            }

            Assert.Equal(4, host.Fleet.Workers.Count(w => w.State == "Ready"));
            await WaitUntilAsync(() => host.Fleet.Workers.Count == 2, TimeSpan.FromSeconds(30), "scale down to 2 after the load");
            lock (log)
            {
                var decisions = log.Where(l => l.Contains("Autoscaler: scale", StringComparison.Ordinal)).ToList();
                foreach (var line in decisions)
                {
                    output.WriteLine(line);
                }

                Assert.Contains(decisions, l => l.Contains("scale up", StringComparison.Ordinal) && l.Contains("p95_seconds", StringComparison.Ordinal));
                Assert.Contains(decisions, l => l.Contains("scale down", StringComparison.Ordinal));
            }
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FleetProcesses
{
    public const string Name = "Fleet processes";
}
