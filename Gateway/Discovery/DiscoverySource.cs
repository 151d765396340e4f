namespace Gateway.Discovery;

/// <summary>Where a cluster's destinations come from when the config file does not list them.</summary>
public enum DiscoverySource
{
    /// <summary>The A/AAAA records of a name (a headless Service), resolved again every refresh period.</summary>
    Dns,

    /// <summary>The Kubernetes EndpointSlices of a Service, listed and then watched.</summary>
    EndpointSlice,
}
