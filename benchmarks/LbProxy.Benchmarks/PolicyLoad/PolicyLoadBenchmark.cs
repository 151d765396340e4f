using System.Diagnostics;
using System.Globalization;
using System.Text;
using Benchmarks.Load;
using Benchmarks.Local;
using Benchmarks.ProxyCost;
using HdrHistogram;
using Spectre.Console;

namespace Benchmarks.PolicyLoad;

/// <summary>
/// One scenario, every balancer: three backend processes (4 servers each, lognormal 20 ms, so about 600 req/s of
/// capacity) take an open-loop load of 300 req/s; for the middle third of the run one backend is 10x slower.
/// Latency is measured from each request's intended send time (coordinated omission is not hidden); a request
/// not answered within the client timeout counts as failed. The gateway runs each of its policies and YARP's
/// PowerOfTwoChoices and LeastRequests; nginx runs round-robin, least_conn, random two least_conn and
/// hash consistent on the same backends.
/// </summary>
internal static class PolicyLoadBenchmark
{
    public const string Usage = "policy-load [--rate 300] [--seconds 21] [--timeout-ms 1000] [--only NAME,...] [--out DIR]  all policies and nginx on one real-process scenario";

    private static readonly LoadTarget[] s_targets =
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
        new("nginx hash consistent", "nginx", "hash $request_uri consistent;"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var rate = double.Parse(Arg("--rate") ?? "300", CultureInfo.InvariantCulture);
        var seconds = int.Parse(Arg("--seconds") ?? "21", CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromMilliseconds(double.Parse(Arg("--timeout-ms") ?? "1000", CultureInfo.InvariantCulture));
        var outDir = Arg("--out") ?? Path.Combine("benchmarks", "results");
        var only = Arg("--only")?.Split(',', StringSplitOptions.TrimEntries);
        var targets = s_targets.Where(t => only is null || only.Any(o => t.Name.Contains(o, StringComparison.OrdinalIgnoreCase))).ToList();
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
                results.Add(await RunOneAsync(target, rate, seconds, timeout));
                task.Increment(1);
            }
        });

        var table = Table(results, rate, seconds, timeout);
        AnsiConsole.WriteLine(table);
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "policy-load.md"), table);
        PolicyLoadPlot.Save(results.Select(r => (r.Target.Name, r.Histogram)).ToList(), Path.Combine(outDir, "policy-load-cdf.png"));
        return 0;
    }

    private static async Task<(LoadTarget, LoadResult, long, long[], LongHistogram)> RunOneAsync(LoadTarget target, double rate, int seconds, TimeSpan timeout)
    {
        var dir = Directory.CreateTempSubdirectory("lbproxy-policyload-").FullName;
        var processes = new List<Process>();
        try
        {
            // The slow window is the middle third of the load, which starts after a 3 s start-up allowance.
            var epoch = DateTimeOffset.UtcNow.AddSeconds(3);
            var ports = Enumerable.Range(0, 3).Select(_ => LocalProcesses.FreePort()).ToArray();
            for (var i = 0; i < ports.Length; i++)
            {
                var slow = i == 0 ? new[] { "--slow-from-ms", $"{seconds * 1000 / 3}", "--slow-until-ms", $"{seconds * 2000 / 3}", "--slow-factor", "10" } : [];
                processes.Add(LocalProcesses.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "LbProxy.Benchmarks.dll"), "backend", "--port", $"{ports[i]}",
                    "--name", $"b{i}", "--seed", $"{i + 1}", "--epoch-unix-ms", $"{epoch.ToUnixTimeMilliseconds()}", .. slow]));
            }

            var port = LocalProcesses.FreePort();
            if (target.Kind == "gateway")
            {
                var config = Path.Combine(dir, "gateway.json");
                await File.WriteAllTextAsync(config, ProxyConfigs.Gateway(target.Method, ports));
                processes.Add(LocalProcesses.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "--config", config,
                    "--urls", $"http://127.0.0.1:{port}", "--admin-urls", $"http://127.0.0.1:{LocalProcesses.FreePort()}"]));
            }
            else
            {
                var config = Path.Combine(dir, "nginx.conf");
                await File.WriteAllTextAsync(config, ProxyConfigs.NginxProxy(dir, port, ports, target.Method));
                processes.Add(LocalProcesses.Start("/usr/sbin/nginx", ["-p", dir, "-c", config, "-g", "daemon off;"]));
            }

            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitReadyAsync(client, ports);
            var wait = epoch - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var histogram = OpenLoopLoad.NewHistogram();
            long fastFailures = 0;
            var load = await OpenLoopLoad.RunAsync(async (i, ct) =>
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(timeout);
                try
                {
                    using var response = await client.GetAsync($"/item/{i % 200}", cts.Token);
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
            var perBackend = new long[ports.Length];
            for (var i = 0; i < ports.Length; i++)
            {
                perBackend[i] = long.Parse(await new HttpClient().GetStringAsync($"http://127.0.0.1:{ports[i]}/stats"), CultureInfo.InvariantCulture);
            }

            return (target, load, within, perBackend, histogram);
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }

                p.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Table(List<(LoadTarget Target, LoadResult Load, long WithinTimeout, long[] PerBackend, LongHistogram Histogram)> results,
        double rate, int seconds, TimeSpan timeout)
    {
        var text = new StringBuilder();
        text.AppendLine("# Policies under a real-process load: one backend 10x slower for the middle third");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- policy-load --rate {rate} --seconds {seconds} --timeout-ms {timeout.TotalMilliseconds}`");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"3 backend processes (4 servers each, lognormal median 20 ms, sigma 0.3; ~600 req/s capacity), b0 10x slower from {seconds / 3} s to {2 * seconds / 3} s; ");
        text.AppendLine(CultureInfo.InvariantCulture, $"open-loop {rate} req/s for {seconds} s, latency from the intended send time, client timeout {timeout.TotalMilliseconds} ms. All processes on 127.0.0.1, 2 shared cores.");
        text.AppendLine();
        text.AppendLine("| balancer | sent | within timeout | p50 ms | p90 ms | p99 ms | p99.9 ms | b0 share (slow) | b1 share | b2 share |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (target, load, within, perBackend, _) in results)
        {
            var total = Math.Max(1, perBackend.Sum());
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {target.Name} | {load.Sent} | {100.0 * within / Math.Max(1, load.Sent):0.00}% | {load.P50Ms:0.0} | {load.P90Ms:0.0} | {load.P99Ms:0.0} | {load.P999Ms:0.0} | " +
                $"{100.0 * perBackend[0] / total:0.0}% | {100.0 * perBackend[1] / total:0.0}% | {100.0 * perBackend[2] / total:0.0}% |");
        }

        text.AppendLine();
        text.AppendLine("![latency CDF](policy-load-cdf.png)");
        return text.ToString();
    }

    private static async Task WaitReadyAsync(HttpClient client, int[] backends)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        for (var attempt = 0; attempt < 200; attempt++)
        {
            try
            {
                var ok = true;
                foreach (var port in backends)
                {
                    using var r = await probe.GetAsync($"http://127.0.0.1:{port}/stats");
                    ok &= r.IsSuccessStatusCode;
                }

                using var through = await client.GetAsync("/stats");
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
