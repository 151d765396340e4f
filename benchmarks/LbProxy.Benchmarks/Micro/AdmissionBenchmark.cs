using BenchmarkDotNet.Attributes;
using Gateway;
using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Benchmarks.Micro;

/// <summary>
/// What admission costs one request when a destination has room: <c>NoCap</c> (baseline) passes straight through;
/// <c>Capped</c> (MaxConnectionsPerDestination = 100, 10 destinations) picks with the policy, takes a place and gives
/// it back. The gateway's real middleware with its real services; the rest of the pipeline is a completed task.
/// </summary>
[MemoryDiagnoser]
public class AdmissionBenchmark
{
    private AdmissionMiddleware _free = null!;
    private DefaultHttpContext _context = null!;
    private ReverseProxyFeature _proxy = null!;
    private ReverseProxyFeature _cappedProxy = null!;
    private List<DestinationState> _destinations = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddLogging().AddMetrics().AddLbProxyGateway(new GatewayHostOptions()).BuildServiceProvider();
        var capped = new ResilienceOptions { MaxConnectionsPerDestination = 100 };
        var state = _services.GetRequiredService<ConfigState>();
        state.Apply(new GatewayConfig([], [], new LbProxyOptions { Clusters = new Dictionary<string, ResilienceOptions> { ["capped"] = capped } }, "bench"));
        _free = ActivatorUtilities.CreateInstance<AdmissionMiddleware>(_services, (RequestDelegate)(_ => Task.CompletedTask));
        var configs = Enumerable.Range(0, 10).ToDictionary(i => $"d{i}", i => new DestinationConfig { Address = $"http://127.0.0.1:{10000 + i}" });
        _destinations = [.. configs.Select(kv => new DestinationState(kv.Key, new DestinationModel(kv.Value)))];
        _proxy = Feature("free", configs);
        _cappedProxy = Feature("capped", configs);
        _context = new DefaultHttpContext();
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    private ReverseProxyFeature Feature(string id, Dictionary<string, DestinationConfig> configs)
    {
        var cluster = new ClusterState(id, new ClusterModel(
            new ClusterConfig { ClusterId = id, Destinations = configs, LoadBalancingPolicy = LoadBalancingPolicyNames.RoundRobin },
            new HttpMessageInvoker(new SocketsHttpHandler())));
        foreach (var d in _destinations)
        {
            cluster.Destinations[d.DestinationId] = d;
        }

        cluster.DestinationsState = new ClusterDestinationsState(_destinations, _destinations);
        var route = new RouteModel(new RouteConfig { RouteId = id, ClusterId = id }, cluster, HttpTransformer.Default);
        return new ReverseProxyFeature { Route = route, Cluster = cluster.Model, AllDestinations = _destinations, AvailableDestinations = _destinations };
    }

    private Task Admit(ReverseProxyFeature proxy)
    {
        proxy.AvailableDestinations = _destinations;
        _context.Features.Set<IReverseProxyFeature>(proxy);
        return _free.InvokeAsync(_context);
    }

    [Benchmark(Baseline = true)]
    public Task NoCap() => Admit(_proxy);

    [Benchmark]
    public Task Capped() => Admit(_cappedProxy);
}
