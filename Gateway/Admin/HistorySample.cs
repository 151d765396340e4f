namespace Gateway.Admin;

/// <summary>
/// One second of one destination, for the page's sparklines: completed requests per second and the share of them
/// that failed (from the statistics record's counters), and p95 latency over the last few seconds (from the
/// lbproxy_request_duration_seconds histogram the metrics exporter already keeps); NaN when there was nothing to measure.
/// </summary>
internal readonly record struct HistorySample(DateTimeOffset At, double Rps, double ErrorRate, double P95Seconds, long InFlight);
