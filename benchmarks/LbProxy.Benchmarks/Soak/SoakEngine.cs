using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Benchmarks.Load;

namespace Benchmarks.Soak;

/// <summary>
/// The soak itself, shared by the `soak` verb and its 60 s test: start the embedded default in its own process, measure
/// its capacity, warm up, then run open-loop load at a fraction of that capacity while a fleet worker is SIGKILLed every
/// <see cref="SoakOptions.KillEvery"/> and the config file is rewritten every <see cref="SoakOptions.ReloadEvery"/>;
/// then stop, let it settle, and look again at what the gateway holds.
/// </summary>
public static class SoakEngine
{
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("""{"features":[5.1,3.5,1.4,0.2]}""");

    public static async Task<SoakReport> RunAsync(SoakOptions options, Action<SoakProgress> progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        await using var gateway = await SoakGateway.StartAsync(options.Workers, cancellationToken);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20) })
        {
            BaseAddress = gateway.ProxyUrl,
            Timeout = Timeout.InfiniteTimeSpan,
        };

        progress(new SoakProgress("capacity", TimeSpan.Zero, options.CapacityMeasurement, 0, 0, 0, options.Workers, 0, 0));
        var capacity = await CapacityAsync(client, options, cancellationToken);
        var rate = options.Rate ?? Math.Max(10, capacity * options.CapacityFraction);

        long sent = 0, errors = 0;
        var kinds = new ConcurrentDictionary<string, long>();
        async Task<bool> Send(long i, CancellationToken ct)
        {
            Interlocked.Increment(ref sent);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(options.ClientTimeout);
            string? error;
            try
            {
                using var request = Predict();
                using var response = await client.SendAsync(request, cts.Token);
                error = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                error = ex is OperationCanceledException ? "timeout" : ex.GetType().Name;
            }

            if (error is not null)
            {
                Interlocked.Increment(ref errors);
                kinds.AddOrUpdate(error, 1, (_, n) => n + 1);
            }

            return error is null;
        }

        // Warm-up: the same load, unmeasured.
        var warm = Stopwatch.StartNew();
        using (Ticker(() => progress(new SoakProgress("warm-up", warm.Elapsed, options.Warmup, 0, 0, Rss(gateway.Pid), options.Workers, 0, 0))))
        {
            await OpenLoopLoad.RunAsync((i, ct) => Send(i, ct), rate, options.Warmup, maxInFlight: 4096, cancellationToken: cancellationToken);
        }

        Interlocked.Exchange(ref sent, 0);
        Interlocked.Exchange(ref errors, 0);
        kinds.Clear();
        var start = await gateway.SampleAsync("start", cancellationToken);

        int kills = 0, reloadsTried = 0, reloadsApplied = 0;
        var peakRss = start.Process.RssBytes / 1048576.0;
        var rssSamples = new ConcurrentQueue<long>();
        var killed = new ConcurrentBag<int>();
        var workerPorts = new ConcurrentDictionary<int, int>(); // port -> pid of every worker seen
        foreach (var (pid, port) in start.WorkerPids.Zip(start.WorkerPorts))
        {
            workerPorts[port] = pid;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var churn = Task.Run(async () =>
        {
            var nextKill = options.KillEvery;
            var nextReload = options.ReloadEvery;
            var random = new Random(16);
            while (!stop.IsCancellationRequested)
            {
                var due = nextKill < nextReload ? nextKill : nextReload;
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }

                var (pids, ports, _) = await gateway.FleetAsync(stop.Token);
                foreach (var (pid, port) in pids.Zip(ports))
                {
                    workerPorts[port] = pid;
                }

                if (clock.Elapsed >= nextKill)
                {
                    nextKill += options.KillEvery;
                    var victims = ProcessSnapshot.ChildrenOf(gateway.Pid).Where(c => pids.Contains(c.Pid) && c.State != 'Z').ToList();
                    if (victims.Count > 0)
                    {
                        var victim = victims[random.Next(victims.Count)];
                        using var process = Process.GetProcessById(victim.Pid);
                        process.Kill(); // SIGKILL: the worker gets no chance to drain
                        killed.Add(victim.Pid);
                        Interlocked.Increment(ref kills);
                    }
                }

                if (clock.Elapsed >= nextReload)
                {
                    nextReload += options.ReloadEvery;
                    Interlocked.Increment(ref reloadsTried);
                    if (await gateway.ReloadAsync(options.Workers, stop.Token))
                    {
                        Interlocked.Increment(ref reloadsApplied);
                    }
                }
            }
        }, CancellationToken.None);

        var workers = start.WorkerPids.Count;
        using (Ticker(() =>
        {
            var rss = ProcessSnapshot.Take(gateway.Pid).RssBytes;
            rssSamples.Enqueue(rss);
            peakRss = Math.Max(peakRss, rss / 1048576.0);
            workers = ProcessSnapshot.ChildrenOf(gateway.Pid).Count(c => c.State != 'Z');
            progress(new SoakProgress("soak", clock.Elapsed, options.Duration, Interlocked.Read(ref sent), Interlocked.Read(ref errors),
                rss / 1048576.0, workers, kills, reloadsApplied));
        }))
        {
            var load = await OpenLoopLoad.RunAsync((i, ct) => Send(i, ct), rate, options.Duration, maxInFlight: 4096, cancellationToken: cancellationToken);
            await stop.CancelAsync();
            try
            {
                await churn;
            }
            catch (OperationCanceledException)
            {
            }

            // The end is the last few seconds under load (one sample can catch a GC mid-collection).
            var end = await gateway.SampleAsync("end", cancellationToken);
            var recent = rssSamples.Reverse().Take(5).ToList();
            end = end with { Process = end.Process with { RssBytes = recent.Count > 0 ? (long)recent.Average() : end.Process.RssBytes } };

            client.Dispose(); // the clients' connections close, as they would at the end of a day
            var settle = Stopwatch.StartNew();
            while (settle.Elapsed < options.Settle)
            {
                progress(new SoakProgress("settle", settle.Elapsed, options.Settle, load.Sent, Interlocked.Read(ref errors), Rss(gateway.Pid), workers, kills, reloadsApplied));
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }

            var settled = await gateway.SampleAsync("settled", cancellationToken);
            var livePorts = settled.WorkerPorts.ToHashSet();
            var deadPorts = workerPorts.Keys.Where(p => !livePorts.Contains(p)).ToHashSet();
            var deadSockets = settled.Process.Sockets.Count(s => deadPorts.Contains(s.RemotePort));
            var surviving = killed.Where(Alive).ToList();
            return new SoakReport(options, capacity, rate, load, Interlocked.Read(ref errors), new Dictionary<string, long>(kinds),
                start, end, settled, peakRss, kills, reloadsApplied, reloadsTried,
                options.Settle >= TimeSpan.FromSeconds(80) ? deadSockets : 0, surviving, gateway.ErrorLines);
        }
    }

    private static HttpRequestMessage Predict() => new(HttpMethod.Post, "/predict")
    {
        Content = new ByteArrayContent(s_body) { Headers = { ContentType = new("application/json") } },
    };

    /// <summary>Closed-loop requests from <see cref="SoakOptions.CapacityConcurrency"/> clients: what the gateway and fleet answer per second.</summary>
    private static async Task<double> CapacityAsync(HttpClient client, SoakOptions options, CancellationToken cancellationToken)
    {
        long ok = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.CapacityConcurrency).Select(async _ =>
        {
            while (clock.Elapsed < options.CapacityMeasurement)
            {
                try
                {
                    using var request = Predict();
                    using var response = await client.SendAsync(request, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref ok);
                    }
                }
                catch (HttpRequestException)
                {
                    // counted as not served
                }
            }
        }));
        return ok / clock.Elapsed.TotalSeconds;
    }

    private static double Rss(int pid) => ProcessSnapshot.Take(pid).RssBytes / 1048576.0;

    /// <summary>Still there and not a zombie (a zombie is counted among the gateway's children instead).</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="tick"/> once a second until disposed.</summary>
    private static Timer Ticker(Action tick) => new(_ =>
    {
        try
        {
            tick();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // the gateway process went away; the run reports it
        }
    }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
}
