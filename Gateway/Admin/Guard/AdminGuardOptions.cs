namespace Gateway.Admin.Guard;

/// <summary>
/// <c>LbProxy.Admin</c>: who may use the admin listener. The token may instead come from the environment
/// (<see cref="TokenVariable"/>, which wins), so it need not sit in a config file.
/// </summary>
public sealed record AdminGuardOptions
{
    /// <summary>The bearer token (environment), e.g. from a Kubernetes Secret.</summary>
    public const string TokenVariable = "LBPROXY_ADMIN_TOKEN";

    /// <summary>"1" or "true": serve GET /metrics to anyone who reaches the listener (environment form of <see cref="OpenMetrics"/>).</summary>
    public const string OpenMetricsVariable = "LBPROXY_ADMIN_OPEN_METRICS";

    public const int MinimumTokenLength = 16;

    /// <summary>Required for every state-changing request (any method but GET and HEAD) and for any request from off loopback.</summary>
    public string? Token { get; init; }

    /// <summary>Serve GET /metrics without the token (a Prometheus that cannot send one).</summary>
    public bool OpenMetrics { get; init; }
}
