using Gateway.LoadBalancing;

namespace Gateway.Config;

/// <summary>The <c>LbProxy</c> section of a gateway config file: the gateway's own options.</summary>
public sealed record LbProxyOptions
{
    public AdaptiveOptions Adaptive { get; init; } = new();

    /// <summary>Resilience defaults for every cluster.</summary>
    public ResilienceOptions Resilience { get; init; } = new();

    /// <summary>Per-cluster resilience, already merged over <see cref="Resilience"/>.</summary>
    public IReadOnlyDictionary<string, ResilienceOptions> Clusters { get; init; } = new Dictionary<string, ResilienceOptions>();

    /// <summary>A local fleet of ModelWorker processes feeding one cluster (the embedded default has one).</summary>
    public Fleet.FleetOptions? Fleet { get; init; }

    /// <summary>Clusters whose destinations are discovered (DNS or Kubernetes EndpointSlices), by cluster id.</summary>
    public IReadOnlyDictionary<string, Discovery.DiscoveryOptions> Discovery { get; init; } = new Dictionary<string, Discovery.DiscoveryOptions>();

    /// <summary>Weighted splits of routes between clusters (canary, blue-green), by route id; see Gateway/Split.</summary>
    public IReadOnlyDictionary<string, Split.SplitOptions> Splits { get; init; } = new Dictionary<string, Split.SplitOptions>();

    /// <summary>When the config was translated from nginx.conf: servers, locations and what else YARP routes cannot hold.</summary>
    public Nginx.NginxSite? Nginx { get; init; }

    /// <summary>Access logs (off unless a listener or a route names one); see Gateway/AccessLog.</summary>
    public AccessLog.AccessLogOptions? AccessLog { get; init; }

    /// <summary>Who may use the admin listener (token, open /metrics); see Gateway/Admin/README.md.</summary>
    public Admin.Guard.AdminGuardOptions? Admin { get; init; }

    /// <summary>Where the proxy listens, with TLS (in place of --urls when given; read at start-up). See Gateway/Edge/README.md.</summary>
    public IReadOnlyList<Tls.ListenerOptions> Listeners { get; init; } = [];

    /// <summary>Per-client request rate, concurrency and connection limits, by rule name.</summary>
    public IReadOnlyDictionary<string, RateLimits.RateLimitRule> RateLimits { get; init; } = new Dictionary<string, RateLimits.RateLimitRule>();

    /// <summary>OpenTelemetry traces over OTLP; off unless an endpoint is set (read at start-up).</summary>
    public Tracing.TracingOptions Tracing { get; init; } = new();

    /// <summary>What the proxy listener allows a client (Kestrel limits); read at start-up. See Gateway/Hardening.</summary>
    public Hardening.ServerLimitsOptions ServerLimits { get; init; } = new();

    /// <summary>Proxies whose X-Forwarded-For names the client (see Gateway/Hardening).</summary>
    public Hardening.TrustedProxies TrustedProxies { get; init; } = Hardening.TrustedProxies.None;

    public ResilienceOptions For(string clusterId) => Clusters.GetValueOrDefault(clusterId) ?? Resilience;
}

/// <summary>
/// How destination latency is estimated (used by Adaptive and shown on /status). Applied at start-up;
/// a reload that changes them is reported as needing a restart.
/// </summary>
public sealed record AdaptiveOptions
{
    /// <summary>Peak-EWMA time constant in seconds.</summary>
    public double DecayTimeSeconds { get; init; } = LatencyModel.DefaultDecaySeconds;

    /// <summary>A failed request counts as a latency sample at least this slow, in seconds.</summary>
    public double FailurePenaltySeconds { get; init; } = LatencyModel.DefaultFailurePenaltySeconds;

    /// <summary>A reported X-Queue-Depth halves in weight every this many seconds without a fresh report.</summary>
    public double QueueDepthHalfLifeSeconds { get; init; } = LatencyModel.DefaultQueueDepthHalfLifeSeconds;

    public LatencyModel ToModel(TimeProvider time) => new(time,
        TimeSpan.FromSeconds(DecayTimeSeconds),
        TimeSpan.FromSeconds(FailurePenaltySeconds),
        TimeSpan.FromSeconds(QueueDepthHalfLifeSeconds));
}
