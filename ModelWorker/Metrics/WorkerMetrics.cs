using System.Diagnostics.Metrics;

namespace ModelWorker.Metrics;

/// <summary>The worker's instruments (System.Diagnostics.Metrics; OpenTelemetry exports them as Prometheus text).</summary>
public sealed class WorkerMetrics
{
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _latency;
    private readonly Histogram<int> _batchSize;
    private readonly UpDownCounter<long> _active;
    private readonly Histogram<double> _inference;

    public WorkerMetrics(IMeterFactory meterFactory, WorkerState state)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(state);
        var meter = meterFactory.Create(MetricNames.MeterName);
        _requests = meter.CreateCounter<long>(MetricNames.Requests, description: "Requests to /predict by how they ended");
        _latency = meter.CreateHistogram<double>(MetricNames.RequestLatency, "s", "Time from request to response of /predict");
        _batchSize = meter.CreateHistogram<int>(MetricNames.BatchSize, description: "Requests per model Run");
        _active = meter.CreateUpDownCounter<long>(MetricNames.ActiveRequests, description: "Requests to /predict in progress");
        _inference = meter.CreateHistogram<double>(MetricNames.InferenceTime, "s", "Model Run time per batch");
        meter.CreateObservableGauge(MetricNames.QueueSize, () => state.Batcher?.QueueDepth ?? 0, description: "Requests waiting for a batch");
    }

    public void RequestStarted() => _active.Add(1);

    public void RequestEnded(string status, double seconds)
    {
        _active.Add(-1);
        _requests.Add(1, new KeyValuePair<string, object?>(MetricTags.Status, status));
        _latency.Record(seconds);
    }

    public void BatchRan(int size, double seconds, string device)
    {
        _batchSize.Record(size);
        _inference.Record(seconds, new KeyValuePair<string, object?>(MetricTags.Device, device));
    }
}
