using System.Diagnostics;
using System.Globalization;
using Benchmarks.Local;
using Gateway;
using Gateway.Upstream;

namespace Benchmarks.ProxyCost;

/// <summary>
/// Bytes allocated per proxied request, exact (GC.GetTotalAllocatedBytes): the gateway in this process under wrk, with
/// the lean upstream client and with SocketsHttpHandler, interleaved; then each upstream client alone, sending GETs
/// one after another from this process. Backends: one nginx on three ports, as proxy-cost. Load does not change bytes
/// per request, so these hold on a busy machine where timings do not.
/// </summary>
internal static class ProxyAllocations
{
    public const string Usage = "proxy-alloc [--seconds 5] [--rounds 2] [--connections 64] [--types]   bytes allocated per request: gateway lean vs sockets, and each client alone (needs nginx, wrk)";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = ProxyCostBenchmark.Option(args, "--seconds", 5);
        var rounds = ProxyCostBenchmark.Option(args, "--rounds", 2);
        var connections = ProxyCostBenchmark.Option(args, "--connections", 64);
        using var sampler = args.Contains("--types") ? new AllocationSampler() : null;
        var dir = Directory.CreateTempSubdirectory("lbproxy-proxyalloc-").FullName;
        var backends = ProxyCostBenchmark.NginxBackends(dir);
        await backends.StartAsync();
        var ports = backends.Ports;
        try
        {
            var perClient = new Dictionary<string, List<double>> { ["Sockets"] = [], ["Lean"] = [] };
            for (var round = 0; round < rounds; round++)
            {
                foreach (var client in perClient.Keys)
                {
                    perClient[client].Add(await GatewayBytesPerRequestAsync(dir, ports, client, seconds, connections, sampler));
                }
            }

            foreach (var (client, values) in perClient)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"gateway (Weighted, in-process, wrk -c{connections}) with {client}: {string.Join(", ", values.Select(v => v.ToString("0", CultureInfo.InvariantCulture)))} bytes/request"));
            }

            using var pools = new LeanConnectionPools();
            using var lean = new HttpMessageInvoker(new LeanHttpHandler(pools) { InnerHandler = new SocketsHttpHandler() });
            using var sockets = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false });
            foreach (var (name, invoker) in new[] { ("SocketsHttpHandler", sockets), ("LeanHttpHandler", lean) })
            {
                var (bytes, cpu) = await ClientBytesPerRequestAsync(invoker, $"http://127.0.0.1:{ports[0]}/");
                var (message, _) = await ClientBytesPerRequestAsync(null, $"http://127.0.0.1:{ports[0]}/");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name} alone, sequential GETs read to the end: {bytes:0} bytes/request ({bytes - message:0} beyond making the HttpRequestMessage and Uri), {cpu:0.0} us CPU/request in this process"));
            }
        }
        finally
        {
            await backends.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static async Task<double> GatewayBytesPerRequestAsync(string dir, IReadOnlyList<int> ports, string client, int seconds, int connections,
        AllocationSampler? sampler)
    {
        var config = Path.Combine(dir, $"gateway-{client}.json");
        await File.WriteAllTextAsync(config, ProxyConfigs.Gateway("Weighted", ports, upstreamClient: client));
        await using var host = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            ConfigPath = config,
            Urls = ["http://127.0.0.1:0"], // in this process: the bound ports are read back from the host
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Alloc.{client}.{Guid.NewGuid():N}",
        });
        var url = host.ProxyUrls[0] + "/";
        await ProxyCostBenchmark.Wrk(url, 2, connections, 2); // warm-up: JIT, tiering, connection pools
        sampler?.Ticks.Clear();
        sampler?.Recording = true;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var wrk = WrkResult.Parse(await ProxyCostBenchmark.Wrk(url, 2, connections, seconds));
        var after = GC.GetTotalAllocatedBytes(precise: true);
        if (sampler is not null)
        {
            sampler.Recording = false;
            var total = sampler.Ticks.Values.Sum();
            Console.WriteLine($"  {client}: what allocates (share of ~100 KB allocation samples):");
            foreach (var (type, ticks) in sampler.Ticks.OrderByDescending(t => t.Value).Take(25))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {ticks * 100.0 / total,5:0.0}%  ~{(after - before) * (double)ticks / total / wrk.Requests,5:0} B/req  {type}"));
            }
        }

        return wrk.Requests > 0 ? (after - before) / (double)wrk.Requests : double.NaN;
    }

    /// <summary>Allocation per request of one client (or, with null, of building the request alone).</summary>
    private static async Task<(double Bytes, double CpuUs)> ClientBytesPerRequestAsync(HttpMessageInvoker? invoker, string url)
    {
        const int Count = 30_000;
        var buffer = new byte[4096];
        for (var pass = 0; pass < 2; pass++) // the first pass warms up
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < Count; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (invoker is null)
                {
                    continue;
                }

                using var response = await invoker.SendAsync(request, CancellationToken.None);
                await using var body = await response.Content.ReadAsStreamAsync();
                while (await body.ReadAsync(buffer) > 0)
                {
                }
            }

            var after = GC.GetTotalAllocatedBytes(precise: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            if (pass == 1)
            {
                return ((after - before) / (double)Count, cpu.TotalMicroseconds / Count);
            }
        }

        return (double.NaN, double.NaN);
    }
}
