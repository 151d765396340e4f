using System.Diagnostics.Metrics;
using Gateway.Admin;

namespace Gateway.Split;

/// <summary>
/// lbproxy_split_weight_percent{route, cluster}: each side's share of its route now (read from the live splits at
/// scrape time), and lbproxy_canary_decisions_total{route, decision}: every analysis decision.
/// </summary>
internal sealed class SplitMetrics
{
    public const string RouteTag = "route";
    public const string DecisionTag = "decision";

    private readonly Counter<long> _decisions;

    public SplitMetrics(IMeterFactory meterFactory, TrafficSplits splits, string meterName = GatewayMetrics.DefaultMeterName)
    {
        var meter = meterFactory.Create(meterName);
        meter.CreateObservableGauge("lbproxy_split_weight_percent", () => splits.All.SelectMany(split => split.Sides.Select(side =>
            new Measurement<double>(Math.Round(split.Share(side.Cluster) * 100, 3),
                new KeyValuePair<string, object?>(RouteTag, split.RouteId), new KeyValuePair<string, object?>(MetricTags.Cluster, side.Cluster)))),
            null, "Share (percent) of the route's requests each cluster of a traffic split gets now.");
        _decisions = meter.CreateCounter<long>("lbproxy_canary_decisions", "{decision}",
            "Canary analysis decisions by route: start, promote, hold, rollback.");
    }

    public void RecordDecision(string route, string decision) =>
        _decisions.Add(1, new KeyValuePair<string, object?>(RouteTag, route), new KeyValuePair<string, object?>(DecisionTag, decision));
}
