using System.Text.Json.Nodes;
using Gateway.Fleet;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd.Grpc;

/// <summary>
/// Three real ModelWorker processes, each with its KServe gRPC port (h2c), behind the real gateway with an h2c proxy
/// listener: a "grpc" cluster of two workers (round-robin, HTTP/2 to the workers), a "slow" cluster of one worker
/// whose fixed 6 s window (room for a loaded machine: the second call must arrive inside it) and one-place queue make a third call answer UNAVAILABLE (chosen with the x-pool header),
/// and an "http" cluster of the two workers' HTTP ports for everything else (KServe v2 over HTTP).
/// </summary>
public sealed class GrpcGatewayFixture : IAsyncLifetime
{
    private readonly List<ModelWorkerProcess> _workers = [];
    private string _folder = "";

    public GatewayHost Gateway { get; private set; } = null!;

    public string H2cUrl => Gateway.H2cUrls.Single();

    public string HttpUrl => Gateway.ProxyUrls.Single();

    public string AdminUrl => Gateway.AdminUrls.Single();

    /// <summary>The slow worker's HTTP address (its /ready shows its queue).</summary>
    public Uri SlowWorkerHttp { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _workers.Add(ModelWorkerProcess.Start(0, "--grpc-urls", "http://127.0.0.1:0"));
        _workers.Add(ModelWorkerProcess.Start(0, "--grpc-urls", "http://127.0.0.1:0"));
        _workers.Add(ModelWorkerProcess.Start(0, "--grpc-urls", "http://127.0.0.1:0", "--batching", "fixed-window", "--max-wait-ms", "6000",
            "--max-batch-size", "8", "--queue-capacity", "1", "--request-timeout-ms", "15000"));
        var http = await Task.WhenAll(_workers.Select(w => w.WaitUntilReadyAsync()));
        var grpc = await Task.WhenAll(_workers.Select(GrpcUrlAsync));
        SlowWorkerHttp = http[2];
        _folder = Directory.CreateTempSubdirectory("lbproxy-grpc-").FullName;
        var path = Path.Combine(_folder, "gateway.json");
        await File.WriteAllTextAsync(path, Config(http, grpc));
        Gateway = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            ConfigPath = path,
            Urls = ["http://127.0.0.1:0"],
            H2cUrls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
        });
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        if (_folder.Length > 0)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>
    /// The worker's bound gRPC address from its listening line (ModelWorker/ListeningLine, written once Kestrel has bound
    /// the port-0 endpoints), parsed as the gateway's own fleet parses it; bounded by a deadline.
    /// </summary>
    private static async Task<string> GrpcUrlAsync(ModelWorkerProcess worker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            foreach (var line in worker.Output.Split('\n'))
            {
                if (WorkerListening.TryParse(line.TrimEnd('\r'), out var listening) && listening.Grpc is { } grpc)
                {
                    return grpc;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("the worker wrote no listening line with a gRPC address:\n" + worker.Output);
            }

            await Task.Delay(20);
        }
    }

    private static string Config(Uri[] http, string[] grpc)
    {
        // HTTP/2 to the workers' h2c ports: Version 2 exactly (RequestVersionOrLower would mean HTTP/1.1 on http://).
        static JsonObject Cluster(IEnumerable<string> addresses, bool http2)
        {
            var destinations = new JsonObject();
            var i = 0;
            foreach (var address in addresses)
            {
                destinations[$"w{++i}"] = new JsonObject { ["Address"] = address };
            }

            var cluster = new JsonObject { ["LoadBalancingPolicy"] = "RoundRobin", ["Destinations"] = destinations };
            if (http2)
            {
                cluster["HttpRequest"] = new JsonObject { ["Version"] = "2.0", ["VersionPolicy"] = "RequestVersionExact" };
            }

            return cluster;
        }

        var root = new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["grpc-slow"] = new JsonObject
                    {
                        ["ClusterId"] = "slow",
                        ["Order"] = 1,
                        ["Match"] = new JsonObject
                        {
                            ["Path"] = "/inference.GRPCInferenceService/{**method}",
                            ["Headers"] = new JsonArray(new JsonObject { ["Name"] = "x-pool", ["Values"] = new JsonArray("slow") }),
                        },
                    },
                    ["grpc"] = new JsonObject { ["ClusterId"] = "grpc", ["Order"] = 2, ["Match"] = new JsonObject { ["Path"] = "/inference.GRPCInferenceService/{**method}" } },
                    ["http"] = new JsonObject { ["ClusterId"] = "http", ["Order"] = 3, ["Match"] = new JsonObject { ["Path"] = "/{**catch-all}" } },
                },
                ["Clusters"] = new JsonObject
                {
                    ["grpc"] = Cluster(grpc.Take(2), http2: true),
                    ["slow"] = Cluster(grpc.Skip(2), http2: true),
                    ["http"] = Cluster(http.Take(2).Select(u => u.ToString().TrimEnd('/')), http2: false),
                },
            },
        };
        return root.ToJsonString();
    }
}
