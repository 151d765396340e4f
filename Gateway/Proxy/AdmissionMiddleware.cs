using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Gateway.Admin;
using Gateway.Config;
using Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// Runs before load balancing. No available destination: 503 problem+json at once, never a hang. With a
/// per-destination cap (nginx <c>max_conns</c>, HAProxy <c>maxconn</c>): the cluster admits cap x destinations
/// requests, queues QueueSize more for at most QueueTimeout (HAProxy's queue), answers 503 + Retry-After
/// past that, and balances each admitted request only over destinations below their cap.
/// </summary>
internal sealed class AdmissionMiddleware(RequestDelegate next, ResilienceSettings settings, DestinationStatsRegistry registry,
    GatewayMetrics metrics)
{
    private readonly ConditionalWeakTable<ClusterState, LimiterHolder> _limiters = [];

    /// <summary>
    /// Not async: without a cap (the usual case) the request goes on with no state machine and no extra await of
    /// its own; only a capped cluster takes the queue path.
    /// </summary>
    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var cluster = proxy.Route.Cluster!;
        if (proxy.AvailableDestinations.Count == 0)
        {
            metrics.RecordRejection(cluster.ClusterId, "no_destination");
            return Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "No destination available",
                $"every destination of cluster '{cluster.ClusterId}' is unhealthy or draining; retry shortly.", cluster.ClusterId);
        }

        var options = settings.For(cluster);
        return options.MaxConnectionsPerDestination <= 0 ? next(context) : AdmitAsync(context, proxy, cluster, options);
    }

    private async Task AdmitAsync(HttpContext context, IReverseProxyFeature proxy, ClusterState cluster, ResilienceOptions options)
    {
        var cap = options.MaxConnectionsPerDestination;
        var limiter = Limiter(cluster, cap * proxy.AvailableDestinations.Count, options.QueueSize);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.QueueTimeoutSeconds));
        RateLimitLease lease;
        try
        {
            lease = await limiter.AcquireAsync(1, timeout.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            metrics.RecordRejection(cluster.ClusterId, "queue_timeout");
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Overloaded",
                $"every destination is at its limit of {cap} requests and the request waited {options.QueueTimeoutSeconds} s in the gateway's queue; retry later.",
                cluster.ClusterId);
            return;
        }

        using (lease)
        {
            if (!lease.IsAcquired)
            {
                metrics.RecordRejection(cluster.ClusterId, "queue_full");
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Overloaded",
                    $"every destination is at its limit of {cap} requests and the gateway's queue ({options.QueueSize}) is full; retry later.",
                    cluster.ClusterId);
                return;
            }

            var underCap = UnderCap(cluster, proxy.AvailableDestinations, cap);
            if (underCap is not null)
            {
                proxy.AvailableDestinations = underCap;
            }

            await next(context);
        }
    }

    /// <summary>The destinations below the cap, or null when all are (no list to allocate).</summary>
    private List<DestinationState>? UnderCap(ClusterState cluster, IReadOnlyList<DestinationState> available, int cap)
    {
        List<DestinationState>? under = null;
        for (var i = 0; i < available.Count; i++)
        {
            var full = registry.Get(cluster, available[i]).InFlight >= cap;
            if (full && under is null)
            {
                under = new List<DestinationState>(available.Count);
                for (var j = 0; j < i; j++)
                {
                    under.Add(available[j]);
                }
            }
            else if (!full)
            {
                under?.Add(available[i]);
            }
        }

        // Pigeonhole: the limiter keeps the total below cap x count, so someone has room; if loads moved
        // meanwhile, fall back to every destination rather than none.
        return under is { Count: 0 } ? null : under;
    }

    private ConcurrencyLimiter Limiter(ClusterState cluster, int permits, int queue)
    {
        var holder = _limiters.GetValue(cluster, static _ => new LimiterHolder());
        var current = holder.Current;
        while (current is null || current.Permits != permits || current.Queue != queue)
        {
            // Capacity changed (destinations came or went): new requests use a new limiter; leases on the old
            // one finish there. One replacement wins; requests that raced it use the winner's limiter, so the
            // cap is never two limiters' worth.
            var replacement = new LimiterState(permits, queue, new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = permits,
                QueueLimit = queue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
            var seen = holder.Replace(current, replacement);
            if (ReferenceEquals(seen, current))
            {
                return replacement.Limiter;
            }

            replacement.Limiter.Dispose();
            current = seen;
        }

        return current.Limiter;
    }

    private sealed record LimiterState(int Permits, int Queue, ConcurrencyLimiter Limiter);

    private sealed class LimiterHolder
    {
        private LimiterState? _current;

        public LimiterState? Current => Volatile.Read(ref _current);

        /// <summary>Puts <paramref name="replacement"/> in if <paramref name="expected"/> is still there; returns what was there.</summary>
        public LimiterState? Replace(LimiterState? expected, LimiterState replacement) =>
            Interlocked.CompareExchange(ref _current, replacement, expected);
    }
}
