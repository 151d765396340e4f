using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin;

/// <summary>One destination as the status page and metrics see it.</summary>
internal sealed record DestinationView(string ClusterId, string Policy, DestinationState Destination, DestinationStats Stats, bool Available,
    Polly.CircuitBreaker.CircuitState CircuitState, long CircuitOpened, bool Draining, string? LastProbeError);
