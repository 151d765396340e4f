namespace Gateway.Discovery;

/// <summary>
/// <c>LbProxy.Discovery.CLUSTER</c>: how one cluster finds its destinations. Read at start-up; a reload that
/// changes it needs a restart (as the local fleet's settings do).
/// </summary>
public sealed record DiscoveryOptions
{
    public const double DefaultRefreshSeconds = 5;
    public const string DefaultScheme = "http";

    public DiscoverySource Source { get; init; } = DiscoverySource.Dns;

    /// <summary>Dns: the name to resolve, e.g. <c>lbproxy-worker.lbproxy.svc.cluster.local</c>.</summary>
    public string? Host { get; init; }

    /// <summary>Dns: the destinations' port (required). EndpointSlice: pick the slice port with this number.</summary>
    public int Port { get; init; }

    /// <summary>EndpointSlice: pick the slice port with this name (e.g. <c>http</c>); unset with one port means that one.</summary>
    public string? PortName { get; init; }

    /// <summary>Dns: seconds between lookups.</summary>
    public double RefreshSeconds { get; init; } = DefaultRefreshSeconds;

    /// <summary>EndpointSlice: the Service whose slices to watch (label kubernetes.io/service-name).</summary>
    public string? Service { get; init; }

    /// <summary>EndpointSlice: the Service's namespace; unset = the gateway pod's own namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>
    /// EndpointSlice: the API server's URL; unset = in-cluster (the pod's service account). Set it to talk to
    /// <c>kubectl proxy</c> (http://127.0.0.1:8001) from outside a cluster.
    /// </summary>
    public string? ApiServer { get; init; }

    /// <summary>The destinations' URL scheme: http or https.</summary>
    public string Scheme { get; init; } = DefaultScheme;

    public TimeSpan RefreshPeriod => TimeSpan.FromSeconds(RefreshSeconds);
}
