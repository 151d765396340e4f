namespace Gateway.RateLimits;

/// <summary>
/// One entry of <c>LbProxy.RateLimits</c> (by name): what a client may do, counted per key. nginx's
/// <c>limit_req_zone $binary_remote_addr rate=10r/s</c> + <c>limit_req burst=20 nodelay</c> is
/// <c>{ "Key": "ip", "RequestsPerSecond": 10, "Burst": 21 }</c>; <c>limit_conn</c> is ConcurrentRequests;
/// HAProxy's <c>src_conn_cur</c> is Connections. A request over any limit gets 429 with Retry-After.
/// </summary>
public sealed record RateLimitRule
{
    public const string IpKey = "ip";
    public const string RouteKey = "route";
    public const string HeaderKeyPrefix = "header:";

    /// <summary>
    /// The key is given per request by a front that knows more than a route (nginx.conf's limit_req/limit_conn zones,
    /// per location, answered with nginx's status); the proxy pipeline leaves such a rule to it. Not for config files.
    /// </summary>
    public const string FrontKey = "front";

    /// <summary><c>ip</c> (the client address, after trusted proxies), <c>header:NAME</c> (requests without it are not counted) or <c>route</c>.</summary>
    public string Key { get; init; } = IpKey;

    /// <summary>Sustained requests per second per key (nginx's leaky bucket, counted in thousandths); 0 = no rate limit.</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary>Requests a key may send at once (nginx's burst + 1); 0 = the rate rounded up (one second's worth).</summary>
    public int Burst { get; init; }

    /// <summary>
    /// Requests over the rate that wait for a token, in order, instead of being turned away (per key; nginx limit_req
    /// without nodelay: a burst is spread out at the rate); 0 = none wait.
    /// </summary>
    public int Queue { get; init; }

    /// <summary>
    /// Keys whose rate state is remembered at most; past it the least recently used key is forgotten (as nginx when a
    /// zone's memory is full). Keys idle for a minute with nothing over the rate are forgotten anyway. 0 = 100000.
    /// </summary>
    public int MaxKeys { get; init; }

    /// <summary>Requests in flight per key; 0 = no limit.</summary>
    public int ConcurrentRequests { get; init; }

    /// <summary>Open connections per client address (Key ip only; the connection's peer address); 0 = no limit.</summary>
    public int Connections { get; init; }

    /// <summary>Route ids the rule applies to; empty = every route.</summary>
    public IReadOnlyList<string> Routes { get; init; } = [];

    /// <summary>The bucket size in effect.</summary>
    public int EffectiveBurst => Burst > 0 ? Burst : Math.Max(1, (int)Math.Ceiling(RequestsPerSecond));
}
