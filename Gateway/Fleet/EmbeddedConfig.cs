using Gateway.Config;
using Gateway.Proxy;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Fleet;

/// <summary>
/// The embedded default, built in code as the same model a config file makes: every path to a local fleet of
/// ModelWorkers, Adaptive balancing, breakers, active /ready probes, retries (inference is idempotent, so
/// POST /predict may be retried) and a 10 s slow start for workers that join.
/// </summary>
public static class EmbeddedConfig
{
    public const string Source = "(embedded default)";

    public static GatewayConfig Create(FleetOptions fleet)
    {
        var route = new RouteConfig
        {
            RouteId = "fleet",
            ClusterId = fleet.ClusterId,
            Match = new RouteMatch { Path = "/{**catch-all}" },
            Metadata = new Dictionary<string, string> { [ForwardingMiddleware.RetryNonIdempotentMetadataKey] = "true" },
        };
        var resilience = new ResilienceOptions { SlowStart = new SlowStartOptions { WindowSeconds = 10 } };
        var cluster = ClusterDefaults.Apply(FleetRules.DefaultCluster(fleet.ClusterId), resilience);
        if (fleet.GrpcClusterId is { } grpcCluster)
        {
            // KServe v2 gRPC (--h2c-urls): the service's paths to the workers' gRPC ports, ahead of the catch-all.
            var grpcRoute = new RouteConfig
            {
                RouteId = "fleet-grpc",
                ClusterId = grpcCluster,
                Order = -1,
                Match = new RouteMatch { Path = "/inference.GRPCInferenceService/{**method}" },
            };
            return new GatewayConfig([grpcRoute, route], [cluster, ClusterDefaults.Apply(FleetRules.DefaultGrpcCluster(grpcCluster), resilience)],
                new LbProxyOptions { Resilience = resilience, Fleet = fleet }, Source);
        }

        return new GatewayConfig([route], [cluster], new LbProxyOptions { Resilience = resilience, Fleet = fleet }, Source);
    }
}
