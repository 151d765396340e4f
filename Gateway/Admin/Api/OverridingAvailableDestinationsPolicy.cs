using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin.Api;

/// <summary>
/// Wraps every available-destinations policy (ours, YARP's, nginx's backup) so that a destination the runtime API drained
/// or disabled leaves the available set whatever the policy: every load-balancing policy, retries and session affinity
/// pick from that set, so they all honour it. Even in panic (all destinations offered) a drained one stays out.
/// </summary>
internal sealed class OverridingAvailableDestinationsPolicy(IAvailableDestinationsPolicy inner, DestinationOverrides overrides)
    : IAvailableDestinationsPolicy
{
    public string Name => inner.Name;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        var available = inner.GetAvailalableDestinations(config, allDestinations);
        var excluded = 0;
        foreach (var d in available)
        {
            excluded += overrides.Excludes(config.ClusterId, d.DestinationId) ? 1 : 0;
        }

        if (excluded == 0)
        {
            return available;
        }

        var kept = new List<DestinationState>(available.Count - excluded);
        foreach (var d in available)
        {
            if (!overrides.Excludes(config.ClusterId, d.DestinationId))
            {
                kept.Add(d);
            }
        }

        return kept;
    }
}
