using System.Globalization;
using BenchmarkDotNet.Attributes;
using Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Benchmarks.Micro;

/// <summary>
/// Cost of one pick through the shipping <see cref="ILoadBalancingPolicy"/> adapters (snapshot lookup + core),
/// against YARP's built-in RoundRobin (baseline) and PowerOfTwoChoices, at 3 to 1000 destinations.
/// In-flight counts are spread 0..3 so least-connections and adaptive see a realistic mix, not all ties.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PolicyPickBenchmark
{
    private ClusterState _cluster = null!;
    private ClusterState _hashCluster = null!;
    private ClusterState _boundedCluster = null!;
    private List<DestinationState> _destinations = null!;
    private DefaultHttpContext _context = null!;
    private Dictionary<string, ILoadBalancingPolicy> _policies = null!;

    [Params(3, 10, 100, 1000)]
    public int Destinations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ours = new ServiceCollection().AddLogging().AddReverseProxy().AddLbProxyLoadBalancing().Services.BuildServiceProvider();
        var yarp = new ServiceCollection().AddLogging().AddReverseProxy().Services.BuildServiceProvider();
        _policies = ours.GetServices<ILoadBalancingPolicy>().ToDictionary(p => p.Name);
        foreach (var p in yarp.GetServices<ILoadBalancingPolicy>())
        {
            _policies["Yarp" + p.Name] = p;
        }

        var configs = Enumerable.Range(0, Destinations).ToDictionary(i => $"d{i}", i => new DestinationConfig
        {
            Address = $"http://127.0.0.1:{10000 + i}",
            Metadata = new Dictionary<string, string> { ["Weight"] = (1 + (i % 3)).ToString(CultureInfo.InvariantCulture) },
        });
        _destinations = [.. configs.Select(kv => new DestinationState(kv.Key, new DestinationModel(kv.Value)))];
        _cluster = Cluster("c", configs, null);
        _hashCluster = Cluster("h", configs, new Dictionary<string, string> { ["HashKey"] = "header:X-User" });
        _boundedCluster = Cluster("b", configs, new Dictionary<string, string> { ["HashKey"] = "header:X-User", ["HashBalanceFactor"] = "125" });
        _context = new DefaultHttpContext();
        _context.Request.Headers["X-User"] = "user-12345";

        // The same in-flight mix in YARP's counters and in our statistics records.
        var random = new Random(42);
        var registry = ours.GetRequiredService<DestinationStatsRegistry>();
        foreach (var d in _destinations)
        {
            var inFlight = random.Next(4);
            d.ConcurrentRequestCount = inFlight;
            var stats = registry.Get(_cluster, d);
            for (var i = 0; i < inFlight; i++)
            {
                stats.Begin();
            }

            stats.Begin();
            stats.Complete(TimeSpan.FromMilliseconds(5 + random.Next(20)), failed: false);
        }

        // Build each policy's per-cluster state outside the measurement.
        foreach (var policy in _policies.Values)
        {
            policy.PickDestination(_context, _cluster, _destinations);
            policy.PickDestination(_context, _hashCluster, _destinations);
            policy.PickDestination(_context, _boundedCluster, _destinations);
        }
    }

    private ClusterState Cluster(string id, Dictionary<string, DestinationConfig> configs, Dictionary<string, string>? metadata)
    {
        var cluster = new ClusterState(id, new ClusterModel(
            new ClusterConfig { ClusterId = id, Destinations = configs, Metadata = metadata },
            new HttpMessageInvoker(new SocketsHttpHandler())));
        foreach (var d in _destinations)
        {
            cluster.Destinations[d.DestinationId] = d;
        }

        cluster.DestinationsState = new ClusterDestinationsState(_destinations, _destinations);
        return cluster;
    }

    private DestinationState? Pick(string policy, ClusterState cluster) =>
        _policies[policy].PickDestination(_context, cluster, _destinations);

    [Benchmark(Baseline = true)]
    public DestinationState? YarpRoundRobin() => Pick("YarpRoundRobin", _cluster);

    [Benchmark]
    public DestinationState? YarpPowerOfTwoChoices() => Pick("YarpPowerOfTwoChoices", _cluster);

    [Benchmark]
    public DestinationState? RoundRobin() => Pick("RoundRobin", _cluster);

    [Benchmark]
    public DestinationState? Weighted() => Pick("Weighted", _cluster);

    [Benchmark]
    public DestinationState? LeastConnections() => Pick("LeastConnections", _cluster);

    [Benchmark]
    public DestinationState? ConsistentHash() => Pick("ConsistentHash", _hashCluster);

    [Benchmark]
    public DestinationState? ConsistentHashBounded() => Pick("ConsistentHash", _boundedCluster);

    [Benchmark]
    public DestinationState? Adaptive() => Pick("Adaptive", _cluster);
}
