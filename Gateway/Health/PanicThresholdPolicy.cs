using Gateway.Config;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Health;

/// <summary>
/// Which destinations a cluster balances over: the healthy ones (neither active nor passive health says
/// Unhealthy) unless fewer than PanicThresholdPercent of them are healthy, when it balances over all of them
/// (Envoy's panic mode: better to spread load over a degraded fleet than to crush the few survivors).
/// With the default 0 this is YARP's HealthyOrPanic: panic only when none is healthy.
/// </summary>
internal sealed class PanicThresholdPolicy(ResilienceSettings settings) : IAvailableDestinationsPolicy
{
    public const string PolicyName = "PanicThreshold";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        var healthy = new List<DestinationState>(allDestinations.Count);
        foreach (var d in allDestinations)
        {
            if (d.Health.Active != DestinationHealth.Unhealthy && d.Health.Passive != DestinationHealth.Unhealthy)
            {
                healthy.Add(d);
            }
        }

        var threshold = settings.For(config.ClusterId).PanicThresholdPercent;
        var panic = healthy.Count == 0 || healthy.Count * 100 < threshold * allDestinations.Count;
        return panic ? allDestinations : healthy;
    }
}
