namespace Gateway.Config;

/// <summary>
/// How a cluster survives failing destinations. <c>LbProxy.Resilience</c> gives the defaults for every cluster;
/// <c>LbProxy.Clusters.ID</c> overrides any part of it for one cluster.
/// </summary>
public sealed record ResilienceOptions
{
    public CircuitBreakerOptions CircuitBreaker { get; init; } = new();

    public ActiveHealthOptions HealthCheck { get; init; } = new();

    public RetryOptions Retry { get; init; } = new();

    public SlowStartOptions SlowStart { get; init; } = new();

    public TimeoutOptions Timeouts { get; init; } = new();

    /// <summary>Per-destination cap on requests in flight (nginx <c>max_conns</c>, HAProxy <c>maxconn</c>); 0 = none.</summary>
    public int MaxConnectionsPerDestination { get; init; }

    /// <summary>Requests that may wait for a free slot when every destination is at its cap; more get 503 at once.</summary>
    public int QueueSize { get; init; } = 100;

    /// <summary>How long a request may wait in that queue before it gets 503.</summary>
    public double QueueTimeoutSeconds { get; init; } = 1;

    /// <summary>
    /// Pass the destinations' <c>X-Queue-Depth</c> on to clients. Off by default: the gateway consumes it (Adaptive's
    /// load signal), and a client has no use for one worker's queue.
    /// </summary>
    public bool PassQueueDepthHeader { get; init; }

    /// <summary>
    /// Below this percent of healthy destinations the cluster panics and balances over all of them (Envoy's
    /// healthy_panic_threshold). 0 = YARP's HealthyOrPanic: panic only when none is healthy.
    /// </summary>
    public int PanicThresholdPercent { get; init; }
}

/// <summary>Per-destination circuit breaker (Polly.Core), seen by every policy through YARP's passive health.</summary>
public sealed record CircuitBreakerOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Open when at least this share of the sampled requests failed (Polly default 0.1; 0.5 suits model pods).</summary>
    public double FailureRatio { get; init; } = 0.5;

    /// <summary>... and at least this many requests were sampled.</summary>
    public int MinimumThroughput { get; init; } = 10;

    public double SamplingDurationSeconds { get; init; } = 10;

    /// <summary>Also open after this many failures in a row (Envoy outlier detection consecutive_5xx = 5); 0 = off.</summary>
    public int ConsecutiveFailures { get; init; } = 5;

    /// <summary>How long the circuit stays open before trial requests go through (nginx fail_timeout = 10 s).</summary>
    public double BreakDurationSeconds { get; init; } = 10;

    /// <summary>Response codes that count as failures, besides connect errors and timeouts.</summary>
    public IReadOnlyList<int> FailureStatusCodes { get; init; } = [502, 503, 504];

    /// <summary>
    /// Count a <see cref="FailureStatusCodes"/> status only when the request was retried for it, not when it went to the
    /// client (nginx: a server's 503 marks it only when proxy_next_upstream moved the request on; the last try's answer
    /// passes through as a success).
    /// </summary>
    public bool RetriedStatusesOnly { get; init; }
}

/// <summary>Active health check verdicts (HAProxy <c>check rise N fall N</c>); probing is YARP's HealthCheck.Active.</summary>
public sealed record ActiveHealthOptions
{
    /// <summary>Good probes in a row that make an unhealthy destination healthy again.</summary>
    public int Rise { get; init; } = 2;

    /// <summary>Failed probes in a row that make a destination unhealthy.</summary>
    public int Fall { get; init; } = 3;
}

/// <summary>nginx <c>proxy_next_upstream</c>: which failures go to another destination, how often and for how long.</summary>
public sealed record RetryOptions
{
    public static readonly IReadOnlyList<string> KnownConditions =
        ["error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504", "http_429", "http_403", "http_404"];

    /// <summary>Tries in all, the first included (nginx proxy_next_upstream_tries); 1 = no retries.</summary>
    public int MaxTries { get; init; } = 3;

    public IReadOnlyList<string> Conditions { get; init; } = ["error", "timeout", "http_502", "http_503", "http_504"];

    /// <summary>No new try starts after this long since the first (nginx proxy_next_upstream_timeout); 0 = no limit.</summary>
    public double TotalTimeoutSeconds { get; init; } = 30;

    /// <summary>One try's time to first response byte before it counts as a timeout (Envoy per_try_timeout).</summary>
    public double TryTimeoutSeconds { get; init; } = 30;

    /// <summary>
    /// A request body is kept in memory for a retry up to this many bytes, and only where a retry may send it again
    /// (idempotent method, or a route that allows it); a longer body streams and is not retried once sent. 0 = keep none.
    /// </summary>
    public int BufferBodyLimitBytes { get; init; } = DefaultBufferBodyLimitBytes;

    public const int DefaultBufferBodyLimitBytes = 1024 * 1024;

    /// <summary>Retries in flight may be at most this percent of the cluster's active requests (Envoy retry budget)...</summary>
    public double BudgetPercent { get; init; } = 20;

    /// <summary>... but this many concurrent retries are always allowed.</summary>
    public int MinRetryConcurrency { get; init; } = 3;
}

/// <summary>Envoy's slow start: a destination that becomes available ramps its share over a window.</summary>
public sealed record SlowStartOptions
{
    /// <summary>Ramp length; 0 = off (as nginx, HAProxy and Envoy by default).</summary>
    public double WindowSeconds { get; init; }

    /// <summary>The share a destination starts with, in percent of its full weight (Envoy min_weight_percent = 10).</summary>
    public double MinWeightPercent { get; init; } = 10;

    /// <summary>Envoy's aggression: 1 = linear; larger = faster at first.</summary>
    public double Aggression { get; init; } = 1;
}

/// <summary>
/// Envoy's request deadlines besides the per-try one (<see cref="RetryOptions.TryTimeoutSeconds"/>, to the first response
/// byte): the route timeout for the whole request and the idle timeout between two reads or writes (nginx
/// <c>proxy_read_timeout</c> / <c>proxy_send_timeout</c>, YARP ActivityTimeout).
/// </summary>
public sealed record TimeoutOptions
{
    /// <summary>From the request's arrival to its last byte, all tries together (Envoy route timeout); 0 = none.</summary>
    public double RouteSeconds { get; init; }

    /// <summary>Longest silence while a try sends or receives, body streaming included; a stream is never cut while it moves.</summary>
    public double IdleSeconds { get; init; } = 60;
}
