using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin;

/// <summary>One destination as the status page and metrics see it.</summary>
public sealed record DestinationView(string ClusterId, string Policy, DestinationState Destination, DestinationStats Stats, bool Available);
