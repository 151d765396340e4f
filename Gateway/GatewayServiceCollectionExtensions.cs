using Gateway.Admin;
using Gateway.Config;
using Gateway.Health;
using Gateway.LoadBalancing;
using Gateway.Proxy;
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
        services.AddReverseProxy().LoadFromMemory([], []).AddLbProxyLoadBalancing()
            .AddTransforms(transforms => transforms.AddResponseTransform(RetryResponseTransform.Apply))
            .AddTransforms<Config.Nginx.NginxTransformProvider>()
            .AddTransforms<Hardening.ForwardedForTransformProvider>() // after nginx's: its locations keep their own headers
            .AddTransforms<Hardening.HopByHopTransformProvider>();
        // The lean HTTP/1.1 client per cluster (Metadata "UpstreamClient"), in place of YARP's factory (Gateway/Upstream).
        services.AddSingleton<LeanConnectionPools>();
        services.AddSingleton<IForwarderHttpClientFactory, LeanForwarderHttpClientFactory>();
        return services;
    }
}
