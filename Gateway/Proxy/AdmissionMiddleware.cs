using System.Runtime.CompilerServices;
using Gateway.Admin;
using Gateway.Config;
using Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// Runs before load balancing. No available destination: 503 problem+json at once, never a hang. With a
/// per-destination cap (nginx <c>max_conns</c>, HAProxy <c>maxconn</c>): the request is balanced by the cluster's
/// policy over the destinations below their cap and takes a place at the one picked, atomically, so no destination
/// ever holds more than the cap (with session affinity, and while destinations come and go). When none has room it
/// waits in the cluster's queue (QueueSize, at most QueueTimeout: HAProxy's queue), then 503 + Retry-After.
/// </summary>
internal sealed class AdmissionMiddleware(RequestDelegate next, ResilienceSettings settings, DestinationStatsRegistry registry,
    GatewayMetrics metrics, PolicyLookup policies, TimeProvider time)
{
    private readonly ConditionalWeakTable<ClusterState, CapQueue> _queues = [];

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
            return RareFeature<IUpstreamFailureAnswer>.Get(context) is { } answer // nginx.conf: 502, no live upstreams
                ? answer.AnswerAsync(context, StatusCodes.Status502BadGateway, noLive: true)
                : Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "No destination available",
                $"every destination of cluster '{cluster.ClusterId}' is unhealthy or draining; retry shortly.", cluster.ClusterId);
        }

        var options = settings.For(cluster);
        return options.MaxConnectionsPerDestination <= 0 ? next(context) : AdmitAsync(context, proxy, cluster, options);
    }

    private async Task AdmitAsync(HttpContext context, IReverseProxyFeature proxy, ClusterState cluster, ResilienceOptions options)
    {
        var cap = options.MaxConnectionsPerDestination;
        var queue = _queues.GetValue(cluster, static _ => new CapQueue());
        var available = proxy.AvailableDestinations; // narrowed by session affinity, if any: the cap holds there too
        var (destination, stats) = TryTake(context, cluster, available, cap);
        if (destination is null)
        {
            // Every destination is at its cap: wait in the cluster's queue (only now a waiter and a timer exist).
            var queuedAt = time.GetTimestamp();
            var timeout = TimeSpan.FromSeconds(options.QueueTimeoutSeconds);
            while (destination is null)
            {
                var waiter = queue.Join(options.QueueSize);
                if (waiter is null)
                {
                    metrics.RecordRejection(cluster.ClusterId, "queue_full");
                    if (RareFeature<IUpstreamFailureAnswer>.Get(context) is { } answer)
                    {
                        await answer.AnswerAsync(context, StatusCodes.Status502BadGateway, noLive: true); // nginx: every server at max_conns
                        return;
                    }

                    await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Overloaded",
                        $"every destination is at its limit of {cap} requests and the gateway's queue ({options.QueueSize}) is full; retry later.",
                        cluster.ClusterId);
                    return;
                }

                // A place freed between the look above and joining woke nobody: look again before sleeping.
                (destination, stats) = TryTake(context, cluster, available, cap);
                if (destination is not null)
                {
                    Leave(queue, waiter);
                    break;
                }

                var remaining = timeout - time.GetElapsedTime(queuedAt);
                try
                {
                    if (remaining <= TimeSpan.Zero)
                    {
                        throw new TimeoutException();
                    }

                    await waiter.Value.Task.WaitAsync(remaining, time, context.RequestAborted);
                }
                catch (TimeoutException)
                {
                    Leave(queue, waiter);
                    metrics.RecordRejection(cluster.ClusterId, "queue_timeout");
                    await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Overloaded",
                        $"every destination is at its limit of {cap} requests and the request waited {options.QueueTimeoutSeconds} s in the gateway's queue; retry later.",
                        cluster.ClusterId);
                    return;
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    Leave(queue, waiter);
                    return; // the client left while queued
                }

                (destination, stats) = TryTake(context, cluster, available, cap);
            }
        }

        var lease = new CapLease(stats!, cap, queue);
        context.Features.Set(lease);
        proxy.AvailableDestinations = destination;
        try
        {
            await next(context);
        }
        finally
        {
            lease.Release();
        }
    }

    /// <summary>Leaves the queue; a wake-up that came too late is passed on, so a freed place is never lost.</summary>
    private static void Leave(CapQueue queue, LinkedListNode<TaskCompletionSource> waiter)
    {
        queue.Leave(waiter);
        if (waiter.Value.Task.IsCompleted)
        {
            queue.Signal();
        }
    }

    /// <summary>
    /// Picks with the cluster's policy among the destinations with room and takes a place there atomically; a pick that
    /// lost its place to a concurrent request picks again. Null when none has room.
    /// </summary>
    private (DestinationState? Destination, DestinationStats? Stats) TryTake(HttpContext context, ClusterState cluster,
        IReadOnlyList<DestinationState> available, int cap)
    {
        for (var round = 0; round < 4; round++)
        {
            var under = UnderCap(cluster, available, cap);
            if (under is { Count: 0 })
            {
                return default;
            }

            var list = under ?? available;
            var pick = list.Count == 1 ? list[0]
                : policies.Find(cluster.Model.Config.LoadBalancingPolicy)?.PickDestination(context, cluster, list) ?? list[0];
            var stats = registry.Get(cluster, pick);
            if (stats.TryTakeCapSlot(stats.CapOr(cap)))
            {
                return (pick, stats);
            }
        }

        return default;
    }

    /// <summary>The destinations with room, or null when all have (no list to allocate); empty when none has.</summary>
    private List<DestinationState>? UnderCap(ClusterState cluster, IReadOnlyList<DestinationState> available, int cap)
    {
        List<DestinationState>? under = null;
        for (var i = 0; i < available.Count; i++)
        {
            var stats = registry.Get(cluster, available[i]);
            var full = stats.CapSlots >= stats.CapOr(cap);
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

        return under;
    }
}
