using System.Net;
using BenchmarkDotNet.Attributes;
using Gateway;
using Gateway.Config;
using Gateway.Health;
using Gateway.RateLimits;
using Gateway.Tracing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Benchmarks.Micro;

/// <summary>
/// What the edge features add to one request when they are off (Gateway/Edge/README.md): <c>Next</c> (baseline) is the
/// rest of the pipeline alone (a completed task); <c>RateLimitsOff</c> is the gateway's RateLimitMiddleware with no
/// rules; <c>TracingOff</c> the four tracing calls ForwardingMiddleware makes per request with one try, tracing off.
/// <c>RateLimitsOn</c> (one per-client rate + concurrency rule, never hit) shows what a rule costs.
/// </summary>
[MemoryDiagnoser]
public class EdgeOffBenchmark
{
    private static readonly RequestDelegate s_next = _ => Task.CompletedTask;
    private ServiceProvider _offServices = null!;
    private ServiceProvider _onServices = null!;
    private RateLimitMiddleware _off = null!;
    private RateLimitMiddleware _on = null!;
    private GatewayTracing _tracing = null!;
    private DefaultHttpContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        _offServices = Services(new LbProxyOptions());
        _onServices = Services(new LbProxyOptions
        {
            RateLimits = new Dictionary<string, RateLimitRule>
            {
                ["per-client"] = new() { Key = RateLimitRule.IpKey, RequestsPerSecond = 1_000_000, ConcurrentRequests = 100_000 },
            },
        });
        _off = new RateLimitMiddleware(s_next, _offServices.GetRequiredService<ClientLimits>());
        _on = new RateLimitMiddleware(s_next, _onServices.GetRequiredService<ClientLimits>());
        _tracing = _offServices.GetRequiredService<GatewayTracing>(); // the gateway's own registration: tracing off
        _context = new DefaultHttpContext();
        _context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.1");
        var cluster = new ClusterState("c", new ClusterModel(new ClusterConfig { ClusterId = "c" }, new HttpMessageInvoker(new SocketsHttpHandler())));
        var route = new RouteModel(new RouteConfig { RouteId = "r", ClusterId = "c" }, cluster, HttpTransformer.Default);
        _context.Features.Set<IReverseProxyFeature>(new ReverseProxyFeature { Route = route, Cluster = cluster.Model, AllDestinations = [], AvailableDestinations = [] });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _offServices.Dispose();
        _onServices.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task Next() => s_next(_context);

    [Benchmark]
    public Task RateLimitsOff() => _off.InvokeAsync(_context);

    [Benchmark]
    public Task TracingOff()
    {
        var request = _tracing.StartRequest(_context, "r", "c");
        var attempt = _tracing.StartTry(_context, null!, null!, 1);
        GatewayTracing.EndTry(attempt, new ForwardOutcome(ForwardOutcomeKind.Response, 200));
        GatewayTracing.EndRequest(request, 200, 1);
        return s_next(_context);
    }

    [Benchmark]
    public Task RateLimitsOn() => _on.InvokeAsync(_context);

    private static ServiceProvider Services(LbProxyOptions options)
    {
        var services = new ServiceCollection().AddLogging().AddMetrics().AddLbProxyGateway(new GatewayHostOptions()).BuildServiceProvider();
        services.GetRequiredService<ConfigState>().Apply(new GatewayConfig([], [], options, "bench"));
        return services;
    }
}
