using Yarp.ReverseProxy;

namespace Gateway.Split;

/// <summary>A split as /status and the admin API show it: the sides with their shares and health, and the analysis.</summary>
internal static class SplitReport
{
    public static IReadOnlyList<object> All(TrafficSplits splits, IProxyStateLookup proxyState) =>
        [.. splits.All.OrderBy(s => s.RouteId, StringComparer.Ordinal).Select(s => Describe(s, splits, proxyState))];

    public static object Describe(RouteSplit split, TrafficSplits splits, IProxyStateLookup proxyState)
    {
        var run = splits.Runs.GetValueOrDefault(split.RouteId) is { } r && r.RunId == split.RunId ? r : null;
        return new
        {
            route = split.RouteId,
            source = split.Source,
            changedAt = split.ChangedAt,
            stickyKey = split.Options.StickyKey,
            sides = split.Sides.Select(side =>
            {
                // A side at 0% is still probed (its cluster keeps its active health checks): "warm" for a rollback.
                var found = proxyState.TryGetCluster(side.Cluster, out var cluster);
                return new
                {
                    cluster = side.Cluster,
                    weight = side.Weight,
                    percent = Math.Round(split.Share(side.Cluster) * 100, 2),
                    destinations = found ? cluster!.DestinationsState.AllDestinations.Count : 0,
                    available = found ? cluster!.DestinationsState.AvailableDestinations.Count : 0,
                };
            }).ToList(),
            analysis = run is null ? null : new
            {
                stable = run.Stable,
                canary = run.Canary,
                phase = run.Phase,
                step = run.Step,
                canaryPercent = run.CanaryPercent,
                intervalSeconds = split.Options.Analysis?.IntervalSeconds,
                decisions = run.Decisions.Select(d => new
                {
                    at = d.At,
                    decision = d.Decision,
                    canaryPercent = d.CanaryPercent,
                    reason = d.Reason,
                    stable = Window(d.Stable),
                    canary = Window(d.Canary),
                }).ToList(),
            },
        };
    }

    private static object? Window(ClusterWindow? w) => w is null ? null : new
    {
        requests = w.Requests,
        failures = w.Failures,
        errorRate = Math.Round(w.ErrorRate, 4),
        p95Ms = double.IsNaN(w.P95Seconds) ? (double?)null : Math.Round(w.P95Seconds * 1000, 2),
    };
}
