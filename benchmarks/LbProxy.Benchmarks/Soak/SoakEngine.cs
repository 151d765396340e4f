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

        int kills = 0, warmupKills = 0, reloadsTried = 0, reloadsApplied = 0;
        var killed = new ConcurrentBag<int>();
        var workerPorts = new ConcurrentDictionary<int, int>(); // port -> pid of every worker seen
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The churn runs from the start of the warm-up: the baseline is then taken with every path of it (a worker's
        // death and replacement, a reload) already run once, so what grows after it is growth, not first use.
        var clock = Stopwatch.StartNew();
        var churn = Task.Run(() => ChurnAsync(gateway, options, clock, workerPorts, killed, () => Interlocked.Increment(ref kills),
            applied => { Interlocked.Increment(ref reloadsTried); if (applied) { Interlocked.Increment(ref reloadsApplied); } }, stop.Token), CancellationToken.None);

        var rssSamples = new ConcurrentQueue<long>();
        var workers = options.Workers;
        var phase = "warm-up";
        var phaseClock = Stopwatch.StartNew();
        var peakRss = 0.0;
        var ticker = Ticker(() =>
        {
            var rss = ProcessSnapshot.Take(gateway.Pid).RssBytes;
            rssSamples.Enqueue(rss);
            peakRss = Math.Max(peakRss, rss / 1048576.0);
            workers = ProcessSnapshot.ChildrenOf(gateway.Pid).Count(c => c.State != 'Z');
            progress(new SoakProgress(phase, phaseClock.Elapsed, phase == "warm-up" ? options.Warmup : options.Duration,
                Interlocked.Read(ref sent), Interlocked.Read(ref errors), rss / 1048576.0, workers, kills, reloadsApplied));
        });

        LoadResult load;
        SoakSample start, end;
        double[] rssTimeline;
        try
        {
            // Warm-up: the same load and churn, unmeasured.
            await OpenLoopLoad.RunAsync((i, ct) => Send(i, ct), rate, options.Warmup, maxInFlight: 4096, cancellationToken: cancellationToken);
            start = await gateway.SampleAsync("start", cancellationToken);
            start = start with { Process = start.Process with { RssBytes = RecentAverage(rssSamples, start.Process.RssBytes) } };
            warmupKills = Volatile.Read(ref kills);
            // Errors are counted from the first request on: a request lost in the warm-up is lost all the same.
            rssSamples.Clear();
            peakRss = 0;
            phase = "soak";
            phaseClock.Restart();

            load = await OpenLoopLoad.RunAsync((i, ct) => Send(i, ct), rate, options.Duration, maxInFlight: 4096, cancellationToken: cancellationToken);
            await stop.CancelAsync();
            try
            {
                await churn;
            }
            catch (OperationCanceledException)
            {
            }

            // The end is the last few seconds under load (one sample can catch a GC mid-collection), as is the start.
            end = await gateway.SampleAsync("end", cancellationToken);
            end = end with { Process = end.Process with { RssBytes = RecentAverage(rssSamples, end.Process.RssBytes) } };
            rssTimeline = [.. rssSamples.Chunk(60).Select(minute => Mb((long)minute.Average()))];
        }
        finally
        {
            await ticker.DisposeAsync();
        }

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
        return new SoakReport(options, capacity, rate, load, Interlocked.Read(ref sent), Interlocked.Read(ref errors), new Dictionary<string, long>(kinds),
            start, end, settled, Math.Max(peakRss, Mb(end.Process.RssBytes)), kills, warmupKills, reloadsApplied, reloadsTried,
            options.Settle >= SoakOptions.FullSettle ? deadSockets : 0, surviving, gateway.ErrorLines) { RssByMinuteMb = rssTimeline };
    }

    private static double Mb(long bytes) => bytes / 1048576.0;

    /// <summary>The mean of the last five samples (one sample can catch a GC mid-collection).</summary>
    private static long RecentAverage(ConcurrentQueue<long> samples, long fallback)
    {
        var recent = samples.Reverse().Take(5).ToList();
        return recent.Count > 0 ? (long)recent.Average() : fallback;
    }

    /// <summary>Every <see cref="SoakOptions.KillEvery"/> SIGKILLs a fleet worker; every <see cref="SoakOptions.ReloadEvery"/> rewrites the config.</summary>
    private static async Task ChurnAsync(SoakGateway gateway, SoakOptions options, Stopwatch clock, ConcurrentDictionary<int, int> workerPorts,
        ConcurrentBag<int> killed, Action onKill, Action<bool> onReload, CancellationToken cancellationToken)
    {
        var nextKill = options.KillEvery;
        var nextReload = options.ReloadEvery;
        var random = new Random(16);
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = nextKill < nextReload ? nextKill : nextReload;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            var (pids, ports, _) = await gateway.FleetAsync(cancellationToken);
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
                    onKill();
                }
            }

            if (clock.Elapsed >= nextReload)
            {
                nextReload += options.ReloadEvery;
                onReload(await gateway.ReloadAsync(options.Workers, cancellationToken));
            }
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
