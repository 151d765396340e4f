using System.Diagnostics;
using System.Globalization;
using System.Text;
using Benchmarks.Load;
using Benchmarks.Local;
using Spectre.Console;

namespace Benchmarks.ProxyCost;

/// <summary>
/// What the proxy itself costs: wrk at a fixed concurrency against trivial backends (one nginx process on three
/// ports), direct and through nginx, HAProxy, stock YARP and the gateway (with its lean upstream client and inline
/// scheduling, and with SocketsHttpHandler and thread-pool scheduling as stock YARP has them), measured in
/// interleaved rounds of one run and reported as ratios to HAProxy (medians). Then latency at half of each
/// one's own capacity, open-loop, minus the backend's latency at the same rate. All on 127.0.0.1.
/// </summary>
internal static class ProxyCostBenchmark
{
    public const string Usage = "proxy-cost [--seconds 8] [--rounds 3] [--connections 64] [--latency-seconds 5] [--latency-rounds 9] [--warmup-seconds 15] [--policies Weighted|all] [--targets nginx,YARP,lean,...] [--edge] [--baseline-gateway [LABEL=]DLL,...] (--latency-seconds 0: throughput only) [--out benchmarks/results]  proxy cost vs direct, nginx, HAProxy, stock YARP (needs nginx, haproxy, wrk)";

    private static readonly string[] s_allPolicies = ["RoundRobin", "Weighted", "LeastConnections", "ConsistentHash", "Adaptive", "PowerOfTwoChoices"];

    /// <summary>The gateway variants: (label, cluster Metadata UpstreamClient, LBPROXY_INLINE_SCHEDULING).</summary>
    /// <summary>The gateway's default, then the same on Kestrel's socket transport, then the shape before issue 14.</summary>
    private static readonly (string Label, string Client, bool Inline, string Transport)[] s_variants =
    [
        ("epoll", "Lean", true, "epoll"),
        ("socket transport", "Lean", true, "sockets"),
        ("SocketsHttpHandler", "Sockets", false, "sockets"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 8);
        var rounds = Option(args, "--rounds", 3);
        var connections = Option(args, "--connections", 64);
        var latencySeconds = Option(args, "--latency-seconds", 5);
        var latencyRounds = latencySeconds > 0 ? Option(args, "--latency-rounds", 9) : 0; // --latency-seconds 0: throughput only
        // The gateway's hot path reaches tier-1 code only after ~15-20 s of load on this machine (tiered JIT with PGO; measured
        // with DOTNET_PerfMapEnabled: 4.6k requests/s in the first 5 s, 13-15k from 20 s on); a 2 s warm-up measured start-up.
        var warmup = Option(args, "--warmup-seconds", 15);
        var policyArg = args.SkipWhile(a => a != "--policies").Skip(1).FirstOrDefault() ?? "Weighted";
        var policies = policyArg == "all" ? s_allPolicies : policyArg.Split(',');
        var outDir = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("benchmarks", "results");
        // --latency-trace DIR: every latency run's requests (send time, latency) as ROUND-TARGET-proxied|direct.csv there.
        var traceDir = args.SkipWhile(a => a != "--latency-trace").Skip(1).FirstOrDefault();
        foreach (var tool in new[] { "/usr/sbin/nginx", "/usr/sbin/haproxy", "/usr/bin/wrk" })
        {
            if (!File.Exists(tool))
            {
                AnsiConsole.MarkupLine($"[red]{tool} is missing[/]: apt-get install -y nginx-light haproxy wrk");
                return 2;
            }
        }

        var dir = Directory.CreateTempSubdirectory("lbproxy-proxycost-").FullName;
        var backends = NginxBackends(dir);
        await backends.StartAsync();
        var backendPorts = backends.Ports;

        // nginx and HAProxy are told their port at each start (a fresh one, again on another if it was taken); the
        // .NET proxies bind port 0 and say which port they got.
        var direct = ProxyTarget.Fixed("direct", backends.Url);
        var targets = new List<ProxyTarget> { direct };
        targets.Add(ProxyTarget.OnFreshPorts("nginx", 1, ports =>
        {
            File.WriteAllText(Path.Combine(dir, "proxy.conf"), ProxyConfigs.NginxProxy(dir, ports[0], backendPorts));
            return ("/usr/sbin/nginx", ["-p", dir, "-c", Path.Combine(dir, "proxy.conf"), "-g", "daemon off;"], Path.Combine(dir, "proxy.pid"));
        }));
        targets.Add(ProxyTarget.OnFreshPorts("haproxy", 1, ports =>
        {
            File.WriteAllText(Path.Combine(dir, "haproxy.cfg"), ProxyConfigs.HaProxy(ports[0], backendPorts));
            return ("/usr/sbin/haproxy", ["-db", "-f", Path.Combine(dir, "haproxy.cfg")], null);
        }));
        var yarpConfig = Path.Combine(dir, "yarp-plain.json");
        await File.WriteAllTextAsync(yarpConfig, ProxyConfigs.Gateway("RoundRobin", backendPorts));
        targets.Add(ProxyTarget.Reporting("stock YARP", () => WatchedProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "LbProxy.Benchmarks.dll"), "yarp-plain", "--config", yarpConfig, "--urls", "http://127.0.0.1:0"]),
            line => line.StartsWith(PlainYarp.ListeningPrefix, StringComparison.Ordinal) ? new Uri(line[PlainYarp.ListeningPrefix.Length..]) : null));
        var gatewayDll = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
        foreach (var policy in policies)
        {
            foreach (var (label, client, inline, transport) in s_variants)
            {
                var config = Path.Combine(dir, $"gateway-{policy}-{client}.json");
                await File.WriteAllTextAsync(config, ProxyConfigs.Gateway(policy, backendPorts, upstreamClient: client));
                var environment = new Dictionary<string, string>
                {
                    ["LBPROXY_INLINE_SCHEDULING"] = inline ? "1" : "0",
                    ["LBPROXY_TRANSPORT"] = transport,
                };
                targets.Add(Gateway($"gateway {policy} {label}", gatewayDll, config, environment));
            }
        }

        await using var edge = await EdgeTargets.AddAsync(targets, args, dir, backendPorts, gatewayDll, policies); // --edge, --baseline-gateway

        // --targets: only targets whose name contains one of these (direct and haproxy stay: the ratios need them).
        if (args.SkipWhile(a => a != "--targets").Skip(1).FirstOrDefault() is { } only)
        {
            var keep = only.Split(',');
            targets.RemoveAll(t => t.Name is not ("direct" or "haproxy") && !keep.Any(k => t.Name.Contains(k, StringComparison.OrdinalIgnoreCase)));
        }

        var results = targets.ToDictionary(t => t.Name, _ => new List<(WrkResult Wrk, double CpuUsPerRequest)>());
        var latency = targets.ToDictionary(t => t.Name, _ => new List<(LoadResult Proxy, LoadResult Direct)>());
        // Every round's latencies of a target together (proxied, and the backend alone at its rate): percentiles over all rounds.
        var pooled = targets.ToDictionary(t => t.Name, _ => (Proxy: OpenLoopLoad.NewHistogram(), Direct: OpenLoopLoad.NewHistogram()));
        try
        {
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("proxy cost", maxValue: (rounds * targets.Count) + (latencyRounds * (targets.Count - 1)));
                for (var round = 0; round < rounds; round++)
                {
                    foreach (var target in targets)
                    {
                        task.Description = $"round {round + 1}/{rounds}: {target.Name}";
                        await using (target)
                        {
                            await target.StartAsync();
                            await Wrk(target.Url, 2, connections, WarmupFor(target, warmup)); // warm-up (tiered JIT, connection pools)
                            var cpuBefore = target.Process is null ? backends.CpuSeconds() : target.CpuSeconds();
                            var wrk = WrkResult.Parse(await Wrk(target.Url, 2, connections, seconds));
                            var cpuAfter = target.Process is null ? backends.CpuSeconds() : target.CpuSeconds();
                            results[target.Name].Add((wrk, wrk.Requests > 0 ? (cpuAfter - cpuBefore) / wrk.Requests * 1e6 : double.NaN));
                        }

                        task.Increment(1);
                    }
                }

                // Latency at half of each proxy's own capacity (its median requests/s above), the backend alone at the
                // same rate right after. A round's p99 moves by a millisecond with one slow moment of the shared machine,
                // so there are many short rounds: every target is started and warmed once, then the rounds take turns,
                // the order rotated each round, and each round's added p99 is set beside HAProxy's of the same round.
                var measured = targets.Where(t => t != direct).ToList();
                try
                {
                    foreach (var target in latencyRounds > 0 ? measured : [])
                    {
                        task.Description = $"latency: starting and warming {target.Name}";
                        await target.StartAsync();
                        await Wrk(target.Url, 2, connections, WarmupFor(target, warmup)); // tiered JIT, connection pools
                    }

                    for (var round = 0; round < latencyRounds; round++)
                    {
                        for (var turn = 0; turn < measured.Count; turn++)
                        {
                            var target = measured[(turn + round) % measured.Count];
                            task.Description = $"latency round {round + 1}/{latencyRounds}: {target.Name}";
                            var rate = Median(results[target.Name].Select(r => r.Wrk.RequestsPerSecond)) / 2;
                            var trace = traceDir is null ? null : Path.Combine(traceDir, $"{round + 1}-{target.Name.Replace(' ', '-')}");
                            var proxied = await LatencyAtHalf.MeasureAsync(target.Url, rate, TimeSpan.FromSeconds(latencySeconds), connections,
                                trace is null ? null : trace + "-proxied.csv", pooled[target.Name].Proxy);
                            var straight = await LatencyAtHalf.MeasureAsync(direct.Url, rate, TimeSpan.FromSeconds(latencySeconds), connections,
                                trace is null ? null : trace + "-direct.csv", pooled[target.Name].Direct);
                            latency[target.Name].Add((proxied, straight));
                            task.Increment(1);
                        }
                    }
                }
                finally
                {
                    foreach (var target in measured)
                    {
                        await target.DisposeAsync();
                    }
                }
            });
        }
        finally
        {
            await backends.DisposeAsync();
        }

        var load = await File.ReadAllTextAsync("/proc/loadavg");
        var table = Table(results, latency, pooled, seconds, rounds, connections, (latencySeconds, latencyRounds), warmup, load.Split(' ')[..3], args);
        AnsiConsole.WriteLine(table);
        Directory.CreateDirectory(outDir);
        var file = Path.Combine(outDir, "proxy-cost.md");
        var history = File.Exists(file) ? "\n\n" + await File.ReadAllTextAsync(file) : "";
        await File.WriteAllTextAsync(file, table + history); // newest first, history kept below
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    /// <summary>The backends: one nginx on three ports answering "ok" (pid file backends.pid in <paramref name="dir"/>).</summary>
    internal static ProxyTarget NginxBackends(string dir) => ProxyTarget.OnFreshPorts("backends", 3, ports =>
    {
        File.WriteAllText(Path.Combine(dir, "backends.conf"), ProxyConfigs.NginxBackends(dir, ports));
        return ("/usr/sbin/nginx", ["-p", dir, "-c", Path.Combine(dir, "backends.conf"), "-g", "daemon off;"], Path.Combine(dir, "backends.pid"));
    });

    /// <summary>A gateway process on <paramref name="config"/>, both listeners on port 0, its proxy URL read from its banner.</summary>
    internal static ProxyTarget Gateway(string name, string dll, string config, IReadOnlyDictionary<string, string> environment) =>
        ProxyTarget.Reporting(name, () => WatchedProcess.Start("dotnet", [dll, "--config", config, .. GatewayBanner.PortZeroArgs], environment),
            GatewayBanner.Proxy);

    /// <summary>nginx and HAProxy are native code: 2 s fills their connection pools; the .NET proxies get the full warm-up.</summary>
    private static int WarmupFor(ProxyTarget target, int warmup) => target.Name is "direct" or "nginx" or "haproxy" ? 2 : warmup;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    private static string Table(Dictionary<string, List<(WrkResult Wrk, double CpuUsPerRequest)>> results,
        Dictionary<string, List<(LoadResult Proxy, LoadResult Direct)>> latency,
        Dictionary<string, (HdrHistogram.LongHistogram Proxy, HdrHistogram.LongHistogram Direct)> pooled, int seconds, int rounds, int connections,
        (int Seconds, int Rounds) latencyRuns, int warmup, string[] load, string[] args)
    {
        var direct = Median(results["direct"].Select(r => r.Wrk.RequestsPerSecond));
        var haproxy = Median(results["haproxy"].Select(r => r.Wrk.RequestsPerSecond));
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Proxy cost: HAProxy vs nginx vs stock YARP vs the gateway ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        text.AppendLine();
        // The arguments as given (--targets, --edge, --baseline-gateway change what the table holds), quoted where the shell needs it.
        var given = string.Join(' ', args.Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '/' or '_' or '=' or ',') ? a : $"\"{a}\""));
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- proxy-cost {given}`");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"wrk -t2 -c{connections}, {seconds} s per measurement after {warmup} s of warm-up, {rounds} interleaved rounds, medians; backends: one nginx process on 3 ports answering \"ok\". ");
        text.AppendLine("Everything (wrk, proxy, backends) shares the machine's 2 cores. CPU per request = the proxy's own processes' CPU time / requests (direct: the backends').");
        text.AppendLine("The gateway runs as a user would run it: default logging, metrics, circuit breakers, retries on. `epoll` is its default (the epoll event loops of Gateway/Transport under");
        text.AppendLine("Kestrel and the lean upstream client, inline scheduling); `socket transport` is the same on Kestrel's socket transport and .NET sockets (LBPROXY_TRANSPORT=sockets);");
        text.AppendLine("`SocketsHttpHandler` is the shape before issue 14 (Metadata UpstreamClient=Sockets, LBPROXY_INLINE_SCHEDULING=0).");
        text.AppendLine(CultureInfo.InvariantCulture, $"Load average when the run ended: {string.Join(" ", load)} (other work shares the machine: compare within this table, not across runs).");
        text.AppendLine();
        // A round measures every target once, one after another; the machine's speed drifts over minutes, so the ratio of
        // each round's pair is steadier than the ratio of the two medians. Both are shown.
        text.AppendLine("`vs HAProxy by round`: each round's requests/s over HAProxy's in the same round, median (lowest-highest).");
        text.AppendLine();
        text.AppendLine("| target | requests/s | vs HAProxy | vs HAProxy by round | vs direct | CPU us/request | wrk p50 ms | wrk p99 ms | errors |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, runs) in results)
        {
            var rps = Median(runs.Select(r => r.Wrk.RequestsPerSecond));
            var byRound = runs.Zip(results["haproxy"], (r, h) => r.Wrk.RequestsPerSecond / h.Wrk.RequestsPerSecond).ToArray();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {rps:0} | {rps / haproxy:0.00} | {Median(byRound):0.00} ({byRound.Min():0.00}-{byRound.Max():0.00}) | {rps / direct:0.00} | {Median(runs.Select(r => r.CpuUsPerRequest)):0.0} | {Median(runs.Select(r => r.Wrk.P50Ms)):0.00} | {Median(runs.Select(r => r.Wrk.P99Ms)):0.00} | {runs.Sum(r => r.Wrk.Errors)} |");
        }

        text.AppendLine();
        var haproxyAdded = latency["haproxy"].Select(r => r.Proxy.P99Ms - r.Direct.P99Ms).ToArray();
        text.AppendLine(CultureInfo.InvariantCulture, $"Latency at half of each one's capacity: open-loop GETs from benchmarks' RawHttpClient, up to {connections} in flight, {latencyRuns.Seconds} s, then the backend alone at the same rate; added = proxied - direct. Every target was started and warmed once, then measured in {latencyRuns.Rounds} interleaved rounds (the order rotated each round); medians over rounds, and the added p99 also lowest-highest, since one slow moment of the machine moves a round's p99 by milliseconds. `added p99 - HAProxy's` is each round's added p99 minus HAProxy's in the same round: median (lowest-highest), and in how many rounds it was at most HAProxy's.");
        text.AppendLine();
        text.AppendLine("| target | rate/s | p50 ms | p99 ms | direct p50 ms | direct p99 ms | added p50 ms | added p99 ms | added p99 - HAProxy's ms | rounds <= HAProxy | failed |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, runs) in latency.Where(l => l.Value.Count > 0))
        {
            var addedP99 = runs.Select(r => r.Proxy.P99Ms - r.Direct.P99Ms).ToArray();
            var overHaproxy = addedP99.Zip(haproxyAdded, (a, h) => a - h).ToArray();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {runs[0].Proxy.OfferedRate:0} | {Median(runs.Select(r => r.Proxy.P50Ms)):0.000} | {Median(runs.Select(r => r.Proxy.P99Ms)):0.000} | {Median(runs.Select(r => r.Direct.P50Ms)):0.000} | {Median(runs.Select(r => r.Direct.P99Ms)):0.000} | {Median(runs.Select(r => r.Proxy.P50Ms - r.Direct.P50Ms)):0.000} | {Median(addedP99):0.000} ({addedP99.Min():0.000}-{addedP99.Max():0.000}) | {Median(overHaproxy):+0.000;-0.000;0.000} ({overHaproxy.Min():+0.000;-0.000;0.000} to {overHaproxy.Max():+0.000;-0.000;0.000}) | {overHaproxy.Count(d => d <= 0)}/{overHaproxy.Length} | {runs.Sum(r => r.Proxy.Failed)} |");
        }

        // The same latencies pooled over all rounds of each target: the tail of the whole run rather than of its median round.
        text.AppendLine();
        text.AppendLine("Pooled over all rounds (every request of a target's latency runs in one histogram, and its backend-alone runs in another):");
        text.AppendLine();
        text.AppendLine("| target | requests | p90 ms | p95 ms | p99 ms | p99.9 ms | direct p99 ms | added p99 ms | added p99.9 ms |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, (proxy, alone)) in pooled.Where(p => p.Value.Proxy.TotalCount > 0))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {proxy.TotalCount} | {Ms(proxy, 90):0.000} | {Ms(proxy, 95):0.000} | {Ms(proxy, 99):0.000} | {Ms(proxy, 99.9):0.000} | {Ms(alone, 99):0.000} | {Ms(proxy, 99) - Ms(alone, 99):0.000} | {Ms(proxy, 99.9) - Ms(alone, 99.9):0.000} |");
        }

        return text.ToString();

        static double Ms(HdrHistogram.LongHistogram histogram, double percentile) => OpenLoopLoad.PercentileMs(histogram, percentile);
    }

    internal static async Task<string> Wrk(string url, int threads, int connections, int seconds)
    {
        using var wrk = Process.Start(new ProcessStartInfo("/usr/bin/wrk", ["-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency", url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        return output;
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
