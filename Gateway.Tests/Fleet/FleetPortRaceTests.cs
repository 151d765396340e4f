using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Gateway.Fleet;
using Gateway.Tests.EndToEnd.Grpc;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using ModelWorker.KServe.Grpc;
using Xunit.Abstractions;
using Yarp.ReverseProxy;

namespace Gateway.Tests.Fleet;

/// <summary>
/// The fleet's ports with real ModelWorker processes while another party keeps taking loopback ports (<see cref="PortChurn"/>):
/// a fleet that picked a free port and let the worker bind it later lost workers to "address already in use" (the soak,
/// 2 of 70,116 requests). Workers bind port 0 and report what they got: every one of several started at once, and a
/// replacement, comes up on ports its own process holds, joins both clusters there, and no request fails.
/// </summary>
[Collection(FleetProcesses.Name)]
public sealed class FleetPortRaceTests(ITestOutputHelper output)
{
    private static readonly object s_row = new { features = new[] { 5.1, 3.5, 1.4, 0.2 } };

    [Fact]
    public async Task Start_FourWorkersAtOnceAndAReplacementWhilePortsChurn_EachJoinsOnPortsItsProcessHolds()
    {
        using var churn = new PortChurn();
        await using var host = await GrpcFleetGateway.StartAsync(4);
        await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(90));
        // No worker lost to a port: the first four started are the four in service (a lost one is replaced by worker-5).
        Assert.Equal(["worker-1", "worker-2", "worker-3", "worker-4"], host.Fleet.Workers.Select(w => w.Id).Order());
        AssertEachOnItsOwnPorts(host, 4);
        using var client = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
        using var channel = GrpcChannel.ForAddress(host.H2cUrls.Single());
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        await AssertAllAnsweredAsync(client, grpc);

        // A replacement, started while the churn goes on.
        var victim = host.Fleet.Workers[0];
        Process.GetProcessById(victim.Pid).Kill();
        await WaitUntilAsync(() => host.Fleet.Workers.Count(w => w.State == "Ready" && w.Pid != victim.Pid) == 4, "a replacement worker");
        Assert.Contains(host.Fleet.Workers, w => w.Id == "worker-5"); // the first replacement started is the one in service
        AssertEachOnItsOwnPorts(host, 4);
        await AssertAllAnsweredAsync(client, grpc);
        output.WriteLine($"the churn took {churn.Taken} ports; workers on {string.Join(", ", host.Fleet.Workers.Select(w => $"{w.Id}:{w.Port}"))}");
    }

    /// <summary>Every ready worker's HTTP and gRPC destinations are ports its own process listens on, none shared.</summary>
    private static void AssertEachOnItsOwnPorts(GatewayHost host, int count)
    {
        var workers = host.Fleet!.Workers.Where(w => w.State == "Ready").ToList();
        Assert.Equal(count, workers.Count);
        var clusters = host.Services.GetRequiredService<IProxyStateLookup>().GetClusters().ToDictionary(c => c.ClusterId);
        var ports = new List<int>();
        foreach (var worker in workers)
        {
            foreach (var cluster in new[] { FleetOptions.DefaultClusterId, "fleet-grpc" })
            {
                Assert.True(clusters[cluster].Destinations.TryGetValue(worker.Id, out var destination), $"{worker.Id} is not in {cluster}");
                var port = new Uri(destination.Model.Config.Address).Port;
                Assert.True(ListenSockets(port).Overlaps(SocketsOf(worker.Pid)), $"{cluster}'s {worker.Id} is port {port}, which its process (pid {worker.Pid}) does not listen on");
                ports.Add(port);
            }
        }

        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    private static async Task AssertAllAnsweredAsync(HttpClient client, GRPCInferenceService.GRPCInferenceServiceClient grpc)
    {
        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await client.PostAsJsonAsync("/predict", s_row);
            return (int)response.StatusCode;
        }));
        Assert.All(statuses, s => Assert.Equal(200, s));
        for (var i = 0; i < 8; i++)
        {
            var response = await grpc.ModelInferAsync(GrpcFleetGateway.InferRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal([1L, 3L], response.Outputs[0].Shape);
        }
    }

    /// <summary>The socket inodes listening on 127.0.0.1:<paramref name="port"/> (/proc/net/tcp, state 0A = LISTEN).</summary>
    private static HashSet<string> ListenSockets(int port)
    {
        var local = $"0100007F:{port.ToString("X4", CultureInfo.InvariantCulture)}";
        return [.. File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[1] == local && f[3] == "0A")
            .Select(f => f[9])];
    }

    /// <summary>The socket inodes a process has open (its /proc/PID/fd links read socket:[INODE]).</summary>
    private static HashSet<string> SocketsOf(int pid) =>
        [.. Directory.EnumerateFiles($"/proc/{pid}/fd").Select(LinkTarget)
            .Where(target => target?.StartsWith("socket:[", StringComparison.Ordinal) == true)
            .Select(target => target!["socket:[".Length..^1])];

    private static string? LinkTarget(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed meanwhile
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
