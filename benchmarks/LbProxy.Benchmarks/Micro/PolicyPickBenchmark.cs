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
/// <c>LeastConnectionsBusy</c> runs least-connections on a second set of destinations that are all busy (1..4 in
/// flight). <c>LeastConnectionsMoving</c> lets the loads move: every pick begins a request on the destination it
/// chose and ends the oldest one still open (a fixed 1.5 requests per destination in flight), so the lowest ratio
/// changes as it would under traffic; it includes those two statistics updates and a record lookup.
/// <c>Retry*</c> pick for a retry: from the cluster's destinations less the one already tried (the forwarding loop's
/// untried list), which must reuse the cluster's snapshot and ring and allocate nothing.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PolicyPickBenchmark
{
    private ClusterState _cluster = null!;
    private ClusterState _hashCluster = null!;
    private ClusterState _boundedCluster = null!;
    private ClusterState _busyCluster = null!;
    private List<DestinationState> _destinations = null!;
    private List<DestinationState> _busyDestinations = null!;
    private ClusterState _movingCluster = null!;
    private List<DestinationState> _movingDestinations = null!;
    private DestinationStatsRegistry _registry = null!;
    private DestinationStats[] _open = null!;
    private int _oldest;
    private DefaultHttpContext _context = null!;
    private List<DestinationState> _untried = null!;
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
        _busyDestinations = [.. configs.Select(kv => new DestinationState(kv.Key, new DestinationModel(kv.Value)))];
        _cluster = Cluster("c", configs, null, _destinations);
        _hashCluster = Cluster("h", configs, new Dictionary<string, string> { ["HashKey"] = "header:X-User" }, _destinations);
        _boundedCluster = Cluster("b", configs, new Dictionary<string, string> { ["HashKey"] = "header:X-User", ["HashBalanceFactor"] = "125" }, _destinations);
        _busyCluster = Cluster("busy", configs, null, _busyDestinations);
        _movingDestinations = [.. configs.Select(kv => new DestinationState(kv.Key, new DestinationModel(kv.Value)))];
        _movingCluster = Cluster("moving", configs, null, _movingDestinations);
        _context = new DefaultHttpContext();
        _context.Request.Headers["X-User"] = "user-12345";

        // The same in-flight mix in YARP's counters and in our statistics records.
        var random = new Random(42);
        var registry = ours.GetRequiredService<DestinationStatsRegistry>();
        Load(_cluster, _destinations, registry, random, busiest: 3, idle: true);
        Load(_busyCluster, _busyDestinations, registry, random, busiest: 4, idle: false);

        // Build each policy's per-cluster state outside the measurement.
        foreach (var policy in _policies.Values)
        {
            policy.PickDestination(_context, _cluster, _destinations);
            policy.PickDestination(_context, _hashCluster, _destinations);
            policy.PickDestination(_context, _boundedCluster, _destinations);
        }

        _policies["LeastConnections"].PickDestination(_context, _busyCluster, _busyDestinations);
        _untried = _destinations.Count > 1 ? _destinations[1..] : _destinations;
        foreach (var policy in _policies.Values)
        {
            policy.PickDestination(_context, _cluster, _untried);
            policy.PickDestination(_context, _hashCluster, _untried);
            policy.PickDestination(_context, _boundedCluster, _untried);
        }

        _registry = registry;
        _open = new DestinationStats[Destinations * 3 / 2];
        for (var i = 0; i < _open.Length; i++)
        {
            _open[i] = registry.Get(_movingCluster, _movingDestinations[i % Destinations]);
            _open[i].Begin();
        }
    }

    private static void Load(ClusterState cluster, List<DestinationState> destinations, DestinationStatsRegistry registry, Random random,
        int busiest, bool idle)
    {
        foreach (var d in destinations)
        {
            var count = idle ? random.Next(busiest + 1) : 1 + random.Next(busiest);
            d.ConcurrentRequestCount = count;
            var stats = registry.Get(cluster, d);
            for (var i = 0; i < count; i++)
            {
                stats.Begin();
            }

            stats.Begin();
            stats.Complete(TimeSpan.FromMilliseconds(5 + random.Next(20)), failed: false);
        }
    }

    private static ClusterState Cluster(string id, Dictionary<string, DestinationConfig> configs, Dictionary<string, string>? metadata,
        List<DestinationState> destinations)
    {
        var cluster = new ClusterState(id, new ClusterModel(
            new ClusterConfig { ClusterId = id, Destinations = configs, Metadata = metadata },
            new HttpMessageInvoker(new SocketsHttpHandler())));
        foreach (var d in destinations)
        {
            cluster.Destinations[d.DestinationId] = d;
        }

        cluster.DestinationsState = new ClusterDestinationsState(destinations, destinations);
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
    public DestinationState? LeastConnectionsBusy() => _policies["LeastConnections"].PickDestination(_context, _busyCluster, _busyDestinations);

    [Benchmark]
    public DestinationState? LeastConnectionsMoving()
    {
        var picked = _policies["LeastConnections"].PickDestination(_context, _movingCluster, _movingDestinations)!;
        _open[_oldest].Abandon();
        (_open[_oldest] = _registry.Get(_movingCluster, picked)).Begin();
        _oldest = (_oldest + 1) % _open.Length;
        return picked;
    }

    [Benchmark]
    public DestinationState? ConsistentHash() => Pick("ConsistentHash", _hashCluster);

    [Benchmark]
    public DestinationState? ConsistentHashBounded() => Pick("ConsistentHash", _boundedCluster);

    [Benchmark]
    public DestinationState? Adaptive() => Pick("Adaptive", _cluster);

    private DestinationState? Retry(string policy, ClusterState cluster) =>
        _policies[policy].PickDestination(_context, cluster, _untried);

    [Benchmark]
    public DestinationState? RetryRoundRobin() => Retry("RoundRobin", _cluster);

    [Benchmark]
    public DestinationState? RetryWeighted() => Retry("Weighted", _cluster);

    [Benchmark]
    public DestinationState? RetryLeastConnections() => Retry("LeastConnections", _cluster);

    [Benchmark]
    public DestinationState? RetryConsistentHash() => Retry("ConsistentHash", _hashCluster);

    [Benchmark]
    public DestinationState? RetryConsistentHashBounded() => Retry("ConsistentHash", _boundedCluster);

    [Benchmark]
    public DestinationState? RetryAdaptive() => Retry("Adaptive", _cluster);
}
