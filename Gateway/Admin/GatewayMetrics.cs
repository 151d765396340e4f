using System.Diagnostics.Metrics;

namespace Gateway.Admin;

/// <summary>
/// The gateway's instruments (meter <see cref="DefaultMeterName"/> unless the host names another), exported by OpenTelemetry's Prometheus exporter
/// on the admin port as lbproxy_requests_total, lbproxy_request_duration_seconds and the per-destination gauges.
/// Gauges read the statistics records at scrape time: no second bookkeeping.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string DefaultMeterName = "LbProxy.Gateway";

    private static readonly string[] s_statusClasses = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _adminChanges;

    public GatewayMetrics(IMeterFactory meterFactory, GatewayStateReader state, string meterName = DefaultMeterName)
    {
        var meter = meterFactory.Create(meterName);
        _requests = meter.CreateCounter<long>("lbproxy_requests", "{request}", "Proxied requests by cluster, destination and status class.");
        _duration = meter.CreateHistogram("lbproxy_request_duration", "s", "Time from picking a destination to the end of the response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        meter.CreateObservableGauge("lbproxy_destination_inflight", () => Observe(state, v => v.Stats.InFlight),
            "{request}", "Requests in flight to the destination.");
        meter.CreateObservableGauge("lbproxy_destination_available", () => Observe(state, v => v.Available ? 1 : 0),
            null, "1 when the destination is in rotation (healthy or the cluster is in panic), else 0.");
        meter.CreateObservableGauge("lbproxy_destination_weight", () => Observe(state, v => v.Stats.Weight),
            null, "Weight of the destination: the config's, or the runtime admin API's while it overrides it.");
        meter.CreateObservableGauge("lbproxy_destination_latency_estimate", () => ObserveLatency(state),
            "s", "Peak-EWMA latency estimate (the Adaptive policy's score before load).");
        _retries = meter.CreateCounter<long>("lbproxy_retries", "{request}", "Tries sent to another destination, by the condition that caused them.");
        _rejections = meter.CreateCounter<long>("lbproxy_rejections", "{request}",
            "Requests the gateway answered itself: no_destination, queue_full, queue_timeout, retry_budget.");
        meter.CreateObservableGauge("lbproxy_destination_circuit_state", () => Observe(state, v => (long)v.CircuitState),
            null, "Circuit breaker: 0 closed, 1 open, 2 half-open, 3 isolated (consecutive failures).");
        meter.CreateObservableGauge("lbproxy_destination_active_healthy", () => Observe(state, v => v.Destination.Health.Active switch
        {
            Yarp.ReverseProxy.Model.DestinationHealth.Healthy => 1,
            Yarp.ReverseProxy.Model.DestinationHealth.Unhealthy => 0,
            _ => -1,
        }), null, "Active health check verdict: 1 healthy, 0 unhealthy (or draining), -1 unknown (not probed).");
        meter.CreateObservableGauge("lbproxy_destination_admin_state", () => Observe(state, v => Api.AdminStateNames.Code(v.AdminState)),
            null, "Runtime admin API state: 0 enabled, 1 draining (requests still in flight), 2 drained, 3 disabled.");
        _adminChanges = meter.CreateCounter<long>("lbproxy_admin_changes", "{change}",
            "Runtime admin API changes by cluster and action: drain, disable, enable, set_weight, reset_weight.");
        meter.CreateObservableGauge("lbproxy_destination_slow_start_ratio", () => state.Destinations()
            .Select(v => new Measurement<double>(v.Stats.RampFactor, Tags(v))), null, "Slow-start share of full weight (1 = done).");
    }

    public void RecordRequest(string cluster, string destination, int statusCode, double seconds)
    {
        var statusClass = s_statusClasses[Math.Clamp(statusCode / 100, 0, 5)];
        _requests.Add(1,
            new KeyValuePair<string, object?>(MetricTags.Cluster, cluster),
            new KeyValuePair<string, object?>(MetricTags.Destination, destination),
            new KeyValuePair<string, object?>(MetricTags.StatusClass, statusClass));
        _duration.Record(seconds,
            new KeyValuePair<string, object?>(MetricTags.Cluster, cluster),
            new KeyValuePair<string, object?>(MetricTags.Destination, destination));
    }

    /// <summary>Retries and rejections by (cluster, kind, reason), for /status; failures only, so off the hot path.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<(string Cluster, string Kind, string Reason), long> Counts { get; } = new();

    public void RecordRetry(string cluster, string condition)
    {
        Counts.AddOrUpdate((cluster, "retries", condition), 1, static (_, n) => n + 1);
        _retries.Add(1,
            new KeyValuePair<string, object?>(MetricTags.Cluster, cluster),
            new KeyValuePair<string, object?>(MetricTags.Reason, condition));
    }

    public void RecordRejection(string cluster, string reason)
    {
        Counts.AddOrUpdate((cluster, "rejections", reason), 1, static (_, n) => n + 1);
        _rejections.Add(1,
            new KeyValuePair<string, object?>(MetricTags.Cluster, cluster),
            new KeyValuePair<string, object?>(MetricTags.Reason, reason));
    }

    public void RecordAdminChange(string cluster, string action) => _adminChanges.Add(1,
        new KeyValuePair<string, object?>(MetricTags.Cluster, cluster),
        new KeyValuePair<string, object?>(MetricTags.Action, action));

    private static IEnumerable<Measurement<long>> Observe(GatewayStateReader state, Func<DestinationView, long> value) =>
        state.Destinations().Select(v => new Measurement<long>(value(v), Tags(v)));

    private static IEnumerable<Measurement<double>> ObserveLatency(GatewayStateReader state)
    {
        var now = state.Registry.Model.Time.GetTimestamp();
        return state.Destinations().Select(v => new Measurement<double>(v.Stats.LatencyEstimate(now), Tags(v)));
    }

    private static KeyValuePair<string, object?>[] Tags(DestinationView v) =>
    [
        new(MetricTags.Cluster, v.ClusterId),
        new(MetricTags.Destination, v.Destination.DestinationId),
    ];
}
