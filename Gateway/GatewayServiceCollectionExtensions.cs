using Gateway.Admin;
using Gateway.Admin.Api;
using Gateway.Config;
using Gateway.Health;
using Gateway.LoadBalancing;
using Gateway.Proxy;
using Gateway.Split;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Transforms;

namespace Gateway;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>Everything a gateway needs besides its listeners: YARP, the policies, health, retries, metrics.</summary>
    public static IServiceCollection AddLbProxyGateway(this IServiceCollection services, GatewayHostOptions options)
    {
        services.AddSingleton(options.Time);
        services.AddSingleton<ConfigState>();
        services.AddSingleton(sp =>
            (sp.GetRequiredService<ConfigState>().Current?.Options ?? new LbProxyOptions()).Adaptive.ToModel(options.Time));
        services.AddSingleton<GatewayStateReader>();
        services.AddSingleton<OpsEventLog>();
        services.AddSingleton<ResilienceSettings>();
        services.AddSingleton<CircuitBreakers>();
        services.AddSingleton<ProbeStates>();
        services.AddSingleton<RetryBudgets>();
        services.AddSingleton<PolicyLookup>();
        services.AddSingleton<IActiveHealthCheckPolicy, RiseFallHealthPolicy>();
        services.AddSingleton<IAvailableDestinationsPolicy, PanicThresholdPolicy>();
        services.AddSingleton<IAvailableDestinationsPolicy, Config.Nginx.NginxBackupPolicy>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<GatewayMetrics>(sp, options.MeterName));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AccessLog.AccessLogWriter>(sp, options));
        services.AddHostedService(sp => sp.GetRequiredService<AccessLog.AccessLogWriter>());
        services.AddTrafficSplits(options.MeterName); // route splits between clusters (Gateway/Split)
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RateLimits.ClientLimits>(sp, options.MeterName));
        services.AddSingleton(_ => new Tracing.GatewayTracing(new Tracing.TracingOptions(), options.MeterName)); // off; GatewayHost sets the config's
        services.AddReverseProxy().LoadFromMemory([], []).AddLbProxyLoadBalancing()
            .AddTransforms<RetryResponseTransformProvider>()
            .AddTransforms<Config.Nginx.NginxTransformProvider>()
            .AddTransforms<Hardening.ForwardedForTransformProvider>() // after nginx's: its locations keep their own headers
            .AddTransforms<Hardening.HopByHopTransformProvider>();
        // The lean HTTP/1.1 client per cluster (Metadata "UpstreamClient"), in place of YARP's factory (Gateway/Upstream).
        services.AddSingleton(_ => new LeanConnectionPools(Transport.EpollTransport.IsEnabled(options.InlineScheduling)));
        services.AddSingleton<IForwarderHttpClientFactory, LeanForwarderHttpClientFactory>();
        // The lean forwarder in front of YARP's (it takes plain bodiless requests of lean clusters, YARP's the rest).
        var yarpForwarder = services.Last(d => d.ServiceType == typeof(IHttpForwarder));
        services.Remove(yarpForwarder);
        services.AddSingleton<IHttpForwarder>(sp => ActivatorUtilities.CreateInstance<LeanForwarder>(sp,
            (IHttpForwarder)ActivatorUtilities.CreateInstance(sp, yarpForwarder.ImplementationType!)));
        // Last: it wraps every available-destinations policy registered above so drain and disable hold for all of them.
        services.AddRuntimeApi();
        return services;
    }
}
