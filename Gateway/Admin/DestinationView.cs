using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin;

/// <summary>One destination as the status page and metrics see it.</summary>
internal sealed record DestinationView(string ClusterId, string Policy, DestinationState Destination, DestinationStats Stats, bool Available,
    Polly.CircuitBreaker.CircuitState CircuitState, long CircuitOpened, bool Draining, string? LastProbeError, Api.DestinationOverride? Override = null)
{
    /// <summary>The runtime API's state: enabled, draining, drained or disabled.</summary>
    public string AdminState => Api.AdminStateNames.Of(Override, Stats.InFlight);
}
