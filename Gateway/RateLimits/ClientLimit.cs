using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Gateway.RateLimits;

/// <summary>
/// One rule of <c>LbProxy.RateLimits</c>, running: a partitioned token bucket (rate and burst) and a partitioned
/// concurrency limiter per key, from System.Threading.RateLimiting (idle partitions are dropped by the library), and
/// open connections per client address. Rejections are counted here for /status and the metrics.
/// </summary>
internal sealed class ClientLimit : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _rate;
    private readonly PartitionedRateLimiter<string>? _concurrency;
    private readonly HashSet<string>? _routes;
    private readonly string? _header;
    private readonly Dictionary<IPAddress, int> _connections = [];
    private readonly Lock _lock = new();
    private long _rateRejections;
    private long _concurrencyRejections;
    private long _connectionRejections;

    public ClientLimit(string name, RateLimitRule rule)
    {
        Name = name;
        Rule = rule;
        _routes = rule.Routes.Count > 0 ? new HashSet<string>(rule.Routes, StringComparer.OrdinalIgnoreCase) : null;
        _header = rule.Key.StartsWith(RateLimitRule.HeaderKeyPrefix, StringComparison.OrdinalIgnoreCase) ? rule.Key[RateLimitRule.HeaderKeyPrefix.Length..] : null;
        if (rule.RequestsPerSecond > 0)
        {
            var (tokens, period) = TokenRate.For(rule.RequestsPerSecond);
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = rule.EffectiveBurst,
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = period,
                QueueLimit = rule.Queue, // 0: nginx limit_req nodelay, over the burst is an answer now, not a wait
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            };
            // The partitioner runs on every acquire: its options factory is made once, not per request.
            Func<string, TokenBucketRateLimiterOptions> options = _ => bucket;
            _rate = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, options), StringComparer.Ordinal);
        }

        if (rule.ConcurrentRequests > 0)
        {
            var permits = new ConcurrencyLimiterOptions { PermitLimit = rule.ConcurrentRequests, QueueLimit = 0 };
            Func<string, ConcurrencyLimiterOptions> options = _ => permits;
            _concurrency = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, options), StringComparer.Ordinal);
        }
    }

    public string Name { get; }

    public RateLimitRule Rule { get; }

    public bool LimitsRequests => _rate is not null || _concurrency is not null;

    public long RateRejections => Interlocked.Read(ref _rateRejections);

    public long ConcurrencyRejections => Interlocked.Read(ref _concurrencyRejections);

    public long ConnectionRejections => Interlocked.Read(ref _connectionRejections);

    public int OpenConnections
    {
        get
        {
            lock (_lock)
            {
                return _connections.Values.Sum();
            }
        }
    }

    /// <summary>The key this request counts under, or null when the rule does not apply (another route, no such header).</summary>
    public string? KeyFor(HttpContext context, string routeId)
    {
        if (_routes is not null && !_routes.Contains(routeId))
        {
            return null;
        }

        if (Rule.Key == RateLimitRule.FrontKey)
        {
            return null; // counted by the front that gives its key (AcquireAsync)
        }

        if (_header is not null)
        {
            // Like nginx, a request with an empty key is not accounted.
            var value = context.Request.Headers[_header];
            return value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
        }

        return Rule.Key == RateLimitRule.RouteKey ? routeId : context.Connection.RemoteIpAddress?.ToString() ?? "";
    }

    /// <summary>
    /// Takes a concurrency permit (held by the caller until the response ends) and a rate token. On rejection, the
    /// kind and how long to wait; the permit is not kept then.
    /// </summary>
    public (RateLimitLease? Held, string? RejectedBy, TimeSpan RetryAfter) Acquire(string key)
    {
        if (!TryHoldConcurrency(key, out var held))
        {
            return (null, LimitKind.Concurrency, TimeSpan.FromSeconds(1));
        }

        if (_rate is not null)
        {
            using var token = _rate.AttemptAcquire(key);
            if (!token.IsAcquired)
            {
                held?.Dispose();
                Interlocked.Increment(ref _rateRejections);
                return (null, LimitKind.Rate, token.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1));
            }
        }

        return (held, null, default);
    }

    /// <summary>The rule's concurrency permit for <paramref name="key"/> (null without a concurrency limit); false when at the limit.</summary>
    private bool TryHoldConcurrency(string key, out RateLimitLease? held)
    {
        held = null;
        if (_concurrency is null)
        {
            return true;
        }

        held = _concurrency.AttemptAcquire(key);
        if (held.IsAcquired)
        {
            return true;
        }

        held.Dispose();
        held = null;
        Interlocked.Increment(ref _concurrencyRejections);
        return false;
    }

    /// <summary>
    /// As <see cref="Acquire"/>, but a request over the rate waits for a token when the rule has a Queue (rejected only
    /// when the queue is full too). Completes at once when nothing waits.
    /// </summary>
    public ValueTask<(RateLimitLease? Held, string? RejectedBy, TimeSpan RetryAfter)> AcquireAsync(string key, CancellationToken cancellationToken) =>
        Rule.Queue == 0 || _rate is null ? ValueTask.FromResult(Acquire(key)) : QueuedAsync(key, cancellationToken);

    private async ValueTask<(RateLimitLease? Held, string? RejectedBy, TimeSpan RetryAfter)> QueuedAsync(string key, CancellationToken cancellationToken)
    {
        if (!TryHoldConcurrency(key, out var held))
        {
            return (null, LimitKind.Concurrency, TimeSpan.FromSeconds(1));
        }

        try
        {
            using var token = await _rate!.AcquireAsync(key, 1, cancellationToken);
            if (!token.IsAcquired)
            {
                held?.Dispose();
                Interlocked.Increment(ref _rateRejections);
                return (null, LimitKind.Rate, token.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1));
            }
        }
        catch
        {
            held?.Dispose();
            throw;
        }

        return (held, null, default);
    }

    /// <summary>Requests of <paramref name="key"/> waiting for a token now (a rule with a Queue).</summary>
    public long QueuedCount(string key) => _rate?.GetStatistics(key)?.CurrentQueuedCount ?? 0;

    /// <summary>Counts a new connection from <paramref name="client"/>; false (and not counted) when it is one too many.</summary>
    public bool TryOpenConnection(IPAddress client)
    {
        lock (_lock)
        {
            var open = _connections.GetValueOrDefault(client);
            if (open >= Rule.Connections)
            {
                _connectionRejections++;
                return false;
            }

            _connections[client] = open + 1;
            return true;
        }
    }

    public void CloseConnection(IPAddress client)
    {
        lock (_lock)
        {
            if (_connections.TryGetValue(client, out var open))
            {
                if (open <= 1)
                {
                    _connections.Remove(client);
                }
                else
                {
                    _connections[client] = open - 1;
                }
            }
        }
    }

    public void Dispose()
    {
        _rate?.Dispose();
        _concurrency?.Dispose();
    }
}
