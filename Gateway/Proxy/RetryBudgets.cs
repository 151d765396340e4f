using System.Runtime.CompilerServices;
using Gateway.Config;
using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// Envoy's retry budget per cluster: retries in flight may be at most BudgetPercent of the cluster's active
/// requests, but MinRetryConcurrency are always allowed. Stops a failing fleet from being hit by a retry storm.
/// </summary>
internal sealed class RetryBudgets(DestinationStatsRegistry registry)
{
    private readonly ConditionalWeakTable<ClusterState, Counter> _active = [];

    public bool TryAcquire(ClusterState cluster, RetryOptions options)
    {
        var counter = _active.GetValue(cluster, static _ => new Counter());
        var allowed = Math.Max(options.MinRetryConcurrency, (long)(options.BudgetPercent / 100 * registry.LoadOf(cluster).InFlight));
        if (Interlocked.Increment(ref counter.Value) <= allowed)
        {
            return true;
        }

        Interlocked.Decrement(ref counter.Value);
        return false;
    }

    public void Release(ClusterState cluster) => Interlocked.Decrement(ref _active.GetValue(cluster, static _ => new Counter()).Value);

    private sealed class Counter
    {
        public long Value;
    }
}
