using System.Diagnostics;
using System.Globalization;
using System.Text;
using Benchmarks.Local;
using Spectre.Console;

namespace Benchmarks.ProxyCost;

/// <summary>
/// What the proxy itself costs: wrk at a fixed concurrency against trivial backends (one nginx process on three
/// ports), direct and through nginx, HAProxy and the gateway with each policy, measured in interleaved rounds
/// of one run and reported as ratios to direct (medians). All on 127.0.0.1.
/// </summary>
internal static class ProxyCostBenchmark
{
    public const string Usage = "proxy-cost [--seconds 8] [--rounds 3] [--connections 64] [--out benchmarks/results]  proxy cost vs direct, nginx, HAProxy (needs nginx, haproxy, wrk)";

    private static readonly string[] s_policies = ["RoundRobin", "Weighted", "LeastConnections", "ConsistentHash", "Adaptive", "PowerOfTwoChoices"];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 8);
        var rounds = Option(args, "--rounds", 3);
        var connections = Option(args, "--connections", 64);
        var outDir = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("benchmarks", "results");
        foreach (var tool in new[] { "/usr/sbin/nginx", "/usr/sbin/haproxy", "/usr/bin/wrk" })
        {
            if (!File.Exists(tool))
            {
                AnsiConsole.MarkupLine($"[red]{tool} is missing[/]: apt-get install -y nginx-light haproxy wrk");
                return 2;
            }
        }

        var dir = Directory.CreateTempSubdirectory("lbproxy-proxycost-").FullName;
        var backendPorts = Enumerable.Range(0, 3).Select(_ => LocalProcesses.FreePort()).ToArray();
        await File.WriteAllTextAsync(Path.Combine(dir, "backends.conf"), ProxyConfigs.NginxBackends(dir, backendPorts));
        var backends = new ProxyTarget("backends", $"http://127.0.0.1:{backendPorts[0]}/",
            () => LocalProcesses.Start("/usr/sbin/nginx", "-p", dir, "-c", Path.Combine(dir, "backends.conf"), "-g", "daemon off;"));
        await backends.StartAsync();

        var targets = new List<ProxyTarget> { new("direct", $"http://127.0.0.1:{backendPorts[0]}/", () => null) };
        var nginxPort = LocalProcesses.FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "proxy.conf"), ProxyConfigs.NginxProxy(dir, nginxPort, backendPorts));
        targets.Add(new("nginx", $"http://127.0.0.1:{nginxPort}/",
            () => LocalProcesses.Start("/usr/sbin/nginx", "-p", dir, "-c", Path.Combine(dir, "proxy.conf"), "-g", "daemon off;")));
        var haPort = LocalProcesses.FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "haproxy.cfg"), ProxyConfigs.HaProxy(haPort, backendPorts));
        targets.Add(new("haproxy", $"http://127.0.0.1:{haPort}/", () => LocalProcesses.Start("/usr/sbin/haproxy", "-db", "-f", Path.Combine(dir, "haproxy.cfg"))));
        var yarpPort = LocalProcesses.FreePort();
        var yarpConfig = Path.Combine(dir, "yarp-plain.json");
        await File.WriteAllTextAsync(yarpConfig, ProxyConfigs.Gateway("RoundRobin", backendPorts));
        targets.Add(new("plain YARP", $"http://127.0.0.1:{yarpPort}/", () => LocalProcesses.Start("dotnet",
            Path.Combine(AppContext.BaseDirectory, "LbProxy.Benchmarks.dll"), "yarp-plain", "--config", yarpConfig, "--urls", $"http://127.0.0.1:{yarpPort}")));
        var gatewayDll = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
        foreach (var policy in s_policies)
        {
            var port = LocalProcesses.FreePort();
            var config = Path.Combine(dir, $"gateway-{policy}.json");
            await File.WriteAllTextAsync(config, ProxyConfigs.Gateway(policy, backendPorts));
            targets.Add(new($"gateway {policy}", $"http://127.0.0.1:{port}/",
                () => LocalProcesses.Start("dotnet", gatewayDll, "--config", config, "--urls", $"http://127.0.0.1:{port}", "--admin-urls", $"http://127.0.0.1:{LocalProcesses.FreePort()}")));
        }

        var results = targets.ToDictionary(t => t.Name, _ => new List<(WrkResult Wrk, double CpuUsPerRequest)>());
        try
        {
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("proxy cost", maxValue: rounds * targets.Count);
                for (var round = 0; round < rounds; round++)
                {
                    foreach (var target in targets)
                    {
                        task.Description = $"round {round + 1}/{rounds}: {target.Name}";
                        await using (target)
                        {
                            await target.StartAsync();
                            await Wrk(target.Url, 2, connections, 2); // warm-up (JIT, connection pools)
                            var cpuBefore = target.Process is null ? backends.CpuSeconds() : target.CpuSeconds();
                            var wrk = WrkResult.Parse(await Wrk(target.Url, 2, connections, seconds));
                            var cpuAfter = target.Process is null ? backends.CpuSeconds() : target.CpuSeconds();
                            results[target.Name].Add((wrk, wrk.Requests > 0 ? (cpuAfter - cpuBefore) / wrk.Requests * 1e6 : double.NaN));
                        }

                        task.Increment(1);
                    }
                }
            });
        }
        finally
        {
            await backends.DisposeAsync();
        }

        var table = Table(results, seconds, rounds, connections);
        AnsiConsole.WriteLine(table);
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "proxy-cost.md"), table);
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    private static string Table(Dictionary<string, List<(WrkResult Wrk, double CpuUsPerRequest)>> results, int seconds, int rounds, int connections)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
        }

        var direct = Median(results["direct"].Select(r => r.Wrk.RequestsPerSecond));
        var text = new StringBuilder();
        text.AppendLine("# Proxy cost: direct vs nginx vs HAProxy vs the gateway (each policy)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- proxy-cost --seconds {seconds} --rounds {rounds} --connections {connections}`");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"wrk -t2 -c{connections}, {seconds} s per measurement, {rounds} interleaved rounds, medians; backends: one nginx process on 3 ports answering \"ok\". ");
        text.AppendLine("Everything (wrk, proxy, backends) shares the machine's 2 cores. CPU per request = the proxy's own processes' CPU time / requests (direct: the backends').");
        text.AppendLine("The gateway runs as a user would run it: default logging, metrics, circuit breakers, retries on.");
        text.AppendLine();
        text.AppendLine("| target | requests/s | vs direct | p50 ms | p99 ms | CPU us/request | errors |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, runs) in results)
        {
            var rps = Median(runs.Select(r => r.Wrk.RequestsPerSecond));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {rps:0} | {rps / direct:0.00} | {Median(runs.Select(r => r.Wrk.P50Ms)):0.00} | {Median(runs.Select(r => r.Wrk.P99Ms)):0.00} | {Median(runs.Select(r => r.CpuUsPerRequest)):0.0} | {runs.Sum(r => r.Wrk.Errors)} |");
        }

        return text.ToString();
    }

    private static async Task<string> Wrk(string url, int threads, int connections, int seconds)
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



    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
