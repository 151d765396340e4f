using System.Globalization;
using System.Text;
using Benchmarks.Load;
using Benchmarks.Local;
using Benchmarks.ProxyCost;
using HdrHistogram;
using Spectre.Console;

namespace Benchmarks.PolicyLoad;

/// <summary>
/// One scenario, every balancer, each on fresh backends: `--backend profile` (default), three profile backends
/// (4 servers each, lognormal 20 ms, about 600 req/s of capacity) at 300 req/s with one 10x slower for the middle
/// third; `--backend worker`, three real ModelWorkers with the heavy model, one of them batching with a 50 ms wait.
/// Latency is measured from each request's intended send time (coordinated omission is not hidden); a request
/// not answered within the client timeout counts as failed. The gateway runs each of its policies and YARP's
/// PowerOfTwoChoices and LeastRequests; nginx runs round-robin, least_conn, random two least_conn and
/// hash consistent on the same backends.
/// </summary>
internal static class PolicyLoadBenchmark
{
    public const string Usage = "policy-load [--backend profile|worker] [--rate 300] [--seconds 21] [--timeout-ms 1000] [--warmup-seconds 2] [--only NAME,...] [--out DIR]  all policies and nginx on one real-process scenario";

    private static LoadTarget[] Targets(PolicyLoadScenario scenario) =>
    [
        new("gateway RoundRobin", "gateway", "RoundRobin"),
        new("gateway Weighted", "gateway", "Weighted"),
        new("gateway LeastConnections", "gateway", "LeastConnections"),
        new("gateway ConsistentHash", "gateway", "ConsistentHash"),
        new("gateway Adaptive", "gateway", "Adaptive"),
        new("YARP PowerOfTwoChoices", "gateway", "PowerOfTwoChoices"),
        new("YARP LeastRequests", "gateway", "LeastRequests"),
        new("nginx round-robin", "nginx", ""),
        new("nginx least_conn", "nginx", "least_conn;"),
        new("nginx random two least_conn", "nginx", "random two least_conn;"),
        new("nginx hash consistent", "nginx", scenario.NginxHash),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var rate = double.Parse(Arg("--rate") ?? "300", CultureInfo.InvariantCulture);
        var seconds = int.Parse(Arg("--seconds") ?? "21", CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromMilliseconds(double.Parse(Arg("--timeout-ms") ?? "1000", CultureInfo.InvariantCulture));
        var outDir = Arg("--out") ?? Path.Combine("benchmarks", "results");
        var only = Arg("--only")?.Split(',', StringSplitOptions.TrimEntries);
        var warmup = int.Parse(Arg("--warmup-seconds") ?? "2", CultureInfo.InvariantCulture);
        PolicyLoadScenario scenario;
        switch (Arg("--backend") ?? "profile")
        {
            case "profile":
                scenario = new ProfileScenario();
                break;
            case "worker":
                var root = LocalProcesses.RepoRoot();
                var dll = Path.Combine(root, "ModelWorker", "bin", "Release", "net10.0", "linux-x64", "ModelWorker.dll");
                if (!File.Exists(dll))
                {
                    AnsiConsole.MarkupLine("[red]ModelWorker is not built:[/] run `dotnet build ModelWorker -c Release` first");
                    return 2;
                }

                scenario = new WorkerScenario(dll, Path.Combine(root, "ModelWorker", "models", "classifier-heavy.onnx"));
                break;
            case var other:
                AnsiConsole.MarkupLine($"[red]--backend {Markup.Escape(other)}[/]: expected profile or worker");
                return 2;
        }

        var targets = Targets(scenario).Where(t => only is null || only.Any(o => t.Name.Contains(o, StringComparison.OrdinalIgnoreCase))).ToList();
        if (targets.Any(t => t.Kind == "nginx") && !File.Exists("/usr/sbin/nginx"))
        {
            AnsiConsole.MarkupLine("[red]/usr/sbin/nginx is missing[/]: apt-get install -y nginx-light");
            return 2;
        }

        var results = new List<(LoadTarget Target, LoadResult Load, long WithinTimeout, long[] PerBackend, LongHistogram Histogram)>();
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask("policy load", maxValue: targets.Count);
            foreach (var target in targets)
            {
                task.Description = target.Name;
                results.Add(await RunOneAsync(scenario, target, rate, seconds, warmup, timeout));
                task.Increment(1);
            }
        });

        var name = scenario is ProfileScenario ? "policy-load" : $"policy-load-{scenario.Name}";
        var table = Table(scenario, name, results, rate, seconds, warmup, timeout);
        AnsiConsole.WriteLine(table);
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, name + ".md"), table);
        PolicyLoadPlot.Save(results.Select(r => (r.Target.Name, r.Histogram)).ToList(), scenario.Title, Path.Combine(outDir, name + "-cdf.png"));
        return 0;
    }

    private static async Task<(LoadTarget, LoadResult, long, long[], LongHistogram)> RunOneAsync(PolicyLoadScenario scenario, LoadTarget target,
        double rate, int seconds, int warmup, TimeSpan timeout)
    {
        var dir = Directory.CreateTempSubdirectory("lbproxy-policyload-").FullName;
        WatchedProcess? balancer = null;
        // The measured load (and a profile scenario's slow window) starts after a start-up allowance and a warm-up
        // (the same load, not measured: JIT tier-up, connection pools, ONNX Runtime's first runs).
        var epoch = DateTimeOffset.UtcNow.AddSeconds(3 + warmup);
        var fleet = await scenario.StartAsync(seconds, epoch);
        try
        {
            var ports = fleet.Ports;
            int port;
            if (target.Kind == "gateway")
            {
                // Port 0: the gateway binds free ports itself and names them in its banner.
                var config = Path.Combine(dir, "gateway.json");
                await File.WriteAllTextAsync(config, ProxyConfigs.Gateway(target.Method, ports, scenario.GatewayHashKey));
                balancer = WatchedProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "--config", config, .. GatewayBanner.PortZeroArgs]);
                port = (await GatewayBanner.ReadAsync(balancer, TimeSpan.FromSeconds(60))).Proxy.Port;
            }
            else
            {
                // nginx must be told its port: started again on a fresh one if another process took it first.
                var config = Path.Combine(dir, "nginx.conf");
                (balancer, var bound) = await WatchedProcess.StartOnFreshPortsAsync(1, p =>
                {
                    File.WriteAllText(config, ProxyConfigs.NginxProxy(dir, p[0], ports, target.Method));
                    return ("/usr/sbin/nginx", ["-p", dir, "-c", config, "-g", "daemon off;"], Path.Combine(dir, "proxy.pid"));
                }, TimeSpan.FromSeconds(30));
                port = bound[0];
            }

            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitReadyAsync(client, ports, fleet.ReadyPath);
            if (warmup > 0)
            {
                await OpenLoopLoad.RunAsync(async (i, ct) =>
                {
                    using var request = fleet.Request(i);
                    using var response = await client.SendAsync(request, ct);
                    return response.IsSuccessStatusCode;
                }, rate, TimeSpan.FromSeconds(warmup), maxInFlight: 4096, OpenLoopLoad.NewHistogram());
            }

            var wait = epoch - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var before = await fleet.ServedAsync();
            var histogram = OpenLoopLoad.NewHistogram();
            long fastFailures = 0;
            var load = await OpenLoopLoad.RunAsync(async (i, ct) =>
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(timeout);
                try
                {
                    using var request = fleet.Request(i);
                    using var response = await client.SendAsync(request, cts.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref fastFailures);
                    }

                    return response.IsSuccessStatusCode;
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }, rate, TimeSpan.FromSeconds(seconds), maxInFlight: 4096, histogram);

            var within = histogram.RecordedValues().Where(v => v.ValueIteratedTo <= timeout.TotalMicroseconds).Sum(v => v.CountAddedInThisIterationStep) - fastFailures;
            var after = await fleet.ServedAsync();
            return (target, load, within, after.Zip(before, (a, b) => a - b).ToArray(), histogram);
        }
        finally
        {
            if (balancer is not null)
            {
                await balancer.DisposeAsync();
            }

            await fleet.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Table(PolicyLoadScenario scenario, string name, List<(LoadTarget Target, LoadResult Load, long WithinTimeout, long[] PerBackend, LongHistogram Histogram)> results,
        double rate, int seconds, int warmup, TimeSpan timeout)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Policies under a real-process load: {scenario.Title}");
        text.AppendLine();
        var backendArg = scenario is ProfileScenario ? "" : $" --backend {scenario.Name}";
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- policy-load{backendArg} --rate {rate} --seconds {seconds} --timeout-ms {timeout.TotalMilliseconds} --warmup-seconds {warmup}`");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{scenario.Describe(rate, seconds, timeout)}, latency from the intended send time, client timeout {timeout.TotalMilliseconds} ms. ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Every balancer gets fresh backends and {warmup} s of the same load unmeasured first. All processes on 127.0.0.1, 2 shared cores.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| balancer | sent | within timeout | p50 ms | p90 ms | p99 ms | p99.9 ms | {string.Join(" | ", scenario.BackendNames)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"|---|---:|---:|---:|---:|---:|---:|{string.Concat(scenario.BackendNames.Select(_ => "---:|"))}");
        foreach (var (target, load, within, perBackend, _) in results)
        {
            var total = Math.Max(1, perBackend.Sum());
            var shares = string.Join(" | ", perBackend.Select(n => (100.0 * n / total).ToString("0.0", CultureInfo.InvariantCulture) + "%"));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {target.Name} | {load.Sent} | {100.0 * within / Math.Max(1, load.Sent):0.00}% | {load.P50Ms:0.0} | {load.P90Ms:0.0} | {load.P99Ms:0.0} | {load.P999Ms:0.0} | {shares} |");
        }

        text.AppendLine();
        // Latency runs from the intended send time, so a stalled client would be charged to the balancer: say how far
        // behind its schedule the client ever was, and which rows that makes doubtful.
        text.AppendLine(CultureInfo.InvariantCulture, $"Client's largest lag behind its schedule: {string.Join(", ", results.Select(r =>
            $"{r.Target.Name} {r.Load.MaxSendLagMs:0.0} ms{(r.Load.MaxSendLagMs > LoadResult.SendLagWarningMs ? " (client stalled: this row's latencies include the client's own wait)" : "")}"))}.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"![latency CDF]({name}-cdf.png)");
        return text.ToString();
    }

    private static async Task WaitReadyAsync(HttpClient client, IReadOnlyList<int> backends, string readyPath)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                var ok = true;
                foreach (var port in backends)
                {
                    using var r = await probe.GetAsync($"http://127.0.0.1:{port}{readyPath}");
                    ok &= r.IsSuccessStatusCode;
                }

                using var through = await client.GetAsync(readyPath);
                if (ok && through.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("backends or balancer did not come up");
    }
}
