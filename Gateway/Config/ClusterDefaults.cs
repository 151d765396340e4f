using Gateway.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Config;

/// <summary>
/// Fills in what a YARP cluster leaves unset with LbProxy's behaviour: active probes of <c>/ready</c> judged by
/// rise/fall, the panic-threshold view of available destinations, and the idle timeout (Timeouts.IdleSeconds) as
/// YARP's activity timeout. Anything the file sets stays as written.
/// </summary>
internal static class ClusterDefaults
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    public const string ProbePath = "/ready";

    public static ClusterConfig Apply(ClusterConfig cluster, ResilienceOptions options)
    {
        var health = cluster.HealthCheck ?? new HealthCheckConfig();
        var active = health.Active;
        if (active is { Enabled: true })
        {
            active = active with
            {
                Policy = active.Policy ?? RiseFallHealthPolicy.PolicyName,
                Path = active.Path ?? ProbePath,
                Interval = active.Interval ?? ProbeInterval,
                Timeout = active.Timeout ?? ProbeTimeout,
            };
        }

        var request = cluster.HttpRequest ?? new ForwarderRequestConfig();
        return cluster with
        {
            HealthCheck = health with
            {
                Active = active,
                AvailableDestinationsPolicy = health.AvailableDestinationsPolicy ?? PanicThresholdPolicy.PolicyName,
            },
            HttpRequest = request with { ActivityTimeout = request.ActivityTimeout ?? TimeSpan.FromSeconds(options.Timeouts.IdleSeconds) },
        };
    }
}
