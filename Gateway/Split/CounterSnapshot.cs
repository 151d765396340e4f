using Gateway.Fleet;

namespace Gateway.Split;

/// <summary>
/// Cumulative counters of every destination at one moment: tries and failed tries (the destination's statistics
/// record) and the cumulative latency buckets (lbproxy_request_duration_seconds). A window is the difference of two.
/// </summary>
internal sealed record CounterSnapshot(IReadOnlyDictionary<(string Cluster, string Destination), DestinationCounters> Destinations)
{
    public static CounterSnapshot Empty { get; } = new(new Dictionary<(string, string), DestinationCounters>());

    /// <summary>
    /// What <paramref name="cluster"/> did between <paramref name="earlier"/> and this snapshot. A destination that is
    /// new counts from zero; one whose counters went down (its record was replaced) counts from its new start.
    /// </summary>
    public ClusterWindow Window(string cluster, CounterSnapshot earlier)
    {
        long requests = 0, failures = 0;
        var buckets = new SortedDictionary<double, double>();
        foreach (var ((clusterId, destination), now) in Destinations)
        {
            if (!string.Equals(clusterId, cluster, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var before = earlier.Destinations.GetValueOrDefault((clusterId, destination));
            var reset = before is null || now.Requests < before.Requests;
            requests += now.Requests - (reset ? 0 : before!.Requests);
            failures += Math.Max(0, now.Failures - (reset ? 0 : before!.Failures));
            foreach (var (bound, count) in now.Buckets)
            {
                var old = reset ? 0 : before!.Buckets.FirstOrDefault(b => b.UpperBound == bound).Count;
                buckets[bound] = buckets.GetValueOrDefault(bound) + Math.Max(0, count - old);
            }
        }

        return new ClusterWindow(requests, failures, WorkerMetricsSample.Quantile([.. buckets.Select(b => (b.Key, b.Value))], 0.95));
    }
}

/// <summary>One destination's cumulative counters.</summary>
internal sealed record DestinationCounters(long Requests, long Failures, IReadOnlyList<(double UpperBound, double Count)> Buckets);
