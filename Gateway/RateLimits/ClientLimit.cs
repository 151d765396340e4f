using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gateway.RateLimits;

/// <summary>
/// One rule of <c>LbProxy.RateLimits</c>, running: a leaky bucket per key (<see cref="ExcessZone"/>, nginx's limit_req
/// accounting), requests in progress per key (<see cref="InFlightCounts{TKey}"/>) and open connections per client address (counted the same way).
/// A rule's Burst is what a key may send at once and its Queue how many more wait their turn, nginx's
/// <c>burst=Burst-1+Queue delay=Burst-1</c>. nginx.conf's zones are rules with the front key: the nginx front checks
/// them with each location's own burst, delay and connection number (NginxLimiter). Rejections are counted here for
/// /status and the metrics.
/// </summary>
internal sealed class ClientLimit
{
    /// <summary>Keys a rate rule remembers when it sets no MaxKeys; past it the least recently used is forgotten.</summary>
    public const int DefaultMaxKeys = 100_000;

    private readonly HashSet<string>? _routes;
    private readonly string? _header;
    private readonly InFlightCounts<IPAddress> _connections = new();
    private readonly RateCheck? _rateCheck;
    private long _rateRejections;
    private long _concurrencyRejections;
    private long _connectionRejections;

    public ClientLimit(string name, RateLimitRule rule, TimeProvider? time = null)
    {
        Name = name;
        Rule = rule;
        Time = time ?? TimeProvider.System;
        _routes = rule.Routes.Count > 0 ? new HashSet<string>(rule.Routes, StringComparer.OrdinalIgnoreCase) : null;
        _header = rule.Key.StartsWith(RateLimitRule.HeaderKeyPrefix, StringComparison.OrdinalIgnoreCase) ? rule.Key[RateLimitRule.HeaderKeyPrefix.Length..] : null;
        if (rule.RequestsPerSecond > 0)
        {
            // nginx counts rates in thousandths of a request per second, truncated (rate=1r/m is 16).
            Zone = new ExcessZone(Math.Max(1, (long)Math.Floor(rule.RequestsPerSecond * 1000 + 1e-9)), rule.MaxKeys > 0 ? rule.MaxKeys : DefaultMaxKeys);
            _rateCheck = new RateCheck(Zone, "", (rule.EffectiveBurst - 1L + rule.Queue) * 1000, (rule.EffectiveBurst - 1L) * 1000);
        }

        if (rule.ConcurrentRequests > 0)
        {
            InFlight = new InFlightCounts<string>(StringComparer.Ordinal);
        }
    }

    public string Name { get; }

    public RateLimitRule Rule { get; }

    public TimeProvider Time { get; }

    /// <summary>Each key's excess over the rate (rules with RequestsPerSecond).</summary>
    public ExcessZone? Zone { get; }

    /// <summary>Each key's requests in progress (rules with ConcurrentRequests).</summary>
    public InFlightCounts<string>? InFlight { get; }

    public bool LimitsRequests => Zone is not null || InFlight is not null;

    public long RateRejections => Interlocked.Read(ref _rateRejections);

    public long ConcurrencyRejections => Interlocked.Read(ref _concurrencyRejections);

    public long ConnectionRejections => Interlocked.Read(ref _connectionRejections);

    public int OpenConnections => _connections.Total;

    /// <summary>The key this request counts under, or null when the rule does not apply (another route, no such header).</summary>
    public string? KeyFor(HttpContext context, string routeId)
    {
        if (_routes is not null && !_routes.Contains(routeId))
        {
            return null;
        }

        if (Rule.Key == RateLimitRule.FrontKey)
        {
            return null; // counted by the front that gives its key (NginxLimiter)
        }

        if (_header is not null)
        {
            // Like nginx, a request with an empty key is not accounted.
            var value = context.Request.Headers[_header];
            return value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
        }

        return Rule.Key == RateLimitRule.RouteKey ? routeId : context.Connection.RemoteIpAddress?.ToString() ?? "";
    }

    /// <summary>Counts a rejection by the front (NginxLimiter), which checks the rule itself.</summary>
    public void CountRejection(string kind)
    {
        if (kind == LimitKind.Rate)
        {
            Interlocked.Increment(ref _rateRejections);
        }
        else
        {
            Interlocked.Increment(ref _concurrencyRejections);
        }
    }

    /// <summary>
    /// Takes a concurrency permit (held by the caller until the response ends) and counts the request in the key's
    /// bucket; a request over the rate but within the Queue waits its turn first (completes at once otherwise). On
    /// rejection, the kind and how long to wait; the permit is not kept then.
    /// </summary>
    public async ValueTask<(IDisposable? Held, string? RejectedBy, TimeSpan RetryAfter)> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        InFlightPermit<string>? held = null;
        if (InFlight is not null && (held = InFlight.TryEnter(key, Rule.ConcurrentRequests)) is null)
        {
            Interlocked.Increment(ref _concurrencyRejections);
            return (null, LimitKind.Concurrency, TimeSpan.FromSeconds(1));
        }

        if (_rateCheck is not { } check)
        {
            return (held, null, default);
        }

        check = check with { Key = key };
        var decision = RateAdmission.Admit([check], RateAdmission.NowMs(Time));
        if (decision.Rejected)
        {
            held?.Dispose();
            Interlocked.Increment(ref _rateRejections);
            return (null, LimitKind.Rate, check.RetryAfter(decision.Excess));
        }

        if (decision.DelayMs > 0)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(decision.DelayMs), Time, cancellationToken);
            }
            catch
            {
                held?.Dispose();
                throw;
            }
        }

        return (held, null, default);
    }

    /// <summary>Counts a new connection from <paramref name="client"/>; false (and not counted) when it is one too many.</summary>
    public bool TryOpenConnection(IPAddress client)
    {
        if (_connections.TryAdd(client, Rule.Connections))
        {
            return true;
        }

        Interlocked.Increment(ref _connectionRejections);
        return false;
    }

    public void CloseConnection(IPAddress client) => _connections.Exit(client);
}
