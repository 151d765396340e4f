using Gateway.Config;
using Gateway.Fleet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Admin;

/// <summary>Wires the status page into the admin app: its sampler (a hosted service there) and its routes.</summary>
internal static class StatusPageExtensions
{
    /// <summary>The sampler reads the proxy app's state and the admin app's own /metrics.</summary>
    public static IServiceCollection AddStatusPage(this IServiceCollection services, IServiceProvider proxyServices)
    {
        services.AddSingleton(sp => new StatusSampler(proxyServices.GetRequiredService<GatewayStateReader>(),
            proxyServices.GetRequiredService<TimeProvider>(), new InProcessScrape(sp).GetAsync, sp.GetRequiredService<ILogger<StatusSampler>>(),
            proxyServices.GetService<FleetAutoscaler>()));
        services.AddHostedService(sp => sp.GetRequiredService<StatusSampler>());
        return services;
    }

    /// <summary>
    /// GET / and /ui: the page; /ui/{file}: its script and style; /ui/state: the JSON it polls; /sd/workers: the
    /// local fleet as Prometheus HTTP service discovery (k8s/prometheus/prometheus.yml uses it).
    /// </summary>
    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder endpoints, IServiceProvider proxyServices)
    {
        endpoints.MapGet("/", (HttpContext context) => StatusPageAssets.Serve("index.html", context));
        endpoints.MapGet("/ui", (HttpContext context) => StatusPageAssets.Serve("index.html", context));
        endpoints.MapGet("/ui/{file}", (string file, HttpContext context) => StatusPageAssets.Serve(file, context));
        endpoints.MapGet("/ui/state", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return Results.Json(LiveStatus.Build(proxyServices.GetRequiredService<GatewayStateReader>(),
                proxyServices.GetRequiredService<ConfigState>(), proxyServices.GetRequiredService<GatewayMetrics>(),
                context.RequestServices.GetRequiredService<StatusSampler>(), proxyServices.GetRequiredService<OpsEventLog>(),
                proxyServices.GetService<FleetSupervisor>(), proxyServices.GetRequiredService<TimeProvider>()));
        });
        endpoints.MapGet("/sd/workers", () => WorkerTargets.Get(proxyServices.GetService<FleetSupervisor>()));
        return endpoints;
    }
}
