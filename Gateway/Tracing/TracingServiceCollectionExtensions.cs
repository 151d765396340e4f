using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Tracing;

public static class TracingServiceCollectionExtensions
{
    /// <summary>
    /// LbProxy.Tracing, read at start-up: the source and its OTLP exporter live as long as the gateway. Registered after
    /// AddLbProxyGateway (whose registration is tracing off); off, no transform is added either.
    /// </summary>
    public static IServiceCollection AddLbProxyTracing(this IServiceCollection services, TracingOptions options, string sourceName)
    {
        services.AddSingleton(_ => new GatewayTracing(options, sourceName));
        if (options.Enabled)
        {
            services.AddSingleton<ITransformProvider, TraceContextTransformProvider>();
        }

        return services;
    }
}
