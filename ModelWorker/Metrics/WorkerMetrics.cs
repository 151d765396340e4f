using System.Diagnostics.Metrics;

namespace ModelWorker.Metrics;

/// <summary>The worker's instruments (System.Diagnostics.Metrics; OpenTelemetry exports them as Prometheus text).</summary>
public sealed class WorkerMetrics
{
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _latency;
    private readonly Histogram<int> _batchSize;
    private readonly UpDownCounter<long> _active;
    private readonly Histogram<double> _inference;
    private readonly Counter<long> _modelLoads;
    private readonly Counter<long> _modelUnloads;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Counter<long> _cacheEvictions;

    public WorkerMetrics(IMeterFactory meterFactory, WorkerState state)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(state);
        var meter = _meter = meterFactory.Create(MetricNames.MeterName);
        _requests = meter.CreateCounter<long>(MetricNames.Requests, description: "Requests to /predict by how they ended");
        _latency = meter.CreateHistogram<double>(MetricNames.RequestLatency, "s", "Time from request to response of /predict");
        _batchSize = meter.CreateHistogram<int>(MetricNames.BatchSize, description: "Requests per model Run");
        _active = meter.CreateUpDownCounter<long>(MetricNames.ActiveRequests, description: "Requests to /predict in progress");
        _inference = meter.CreateHistogram<double>(MetricNames.InferenceTime, "s", "Model Run time per batch");
        meter.CreateObservableGauge(MetricNames.QueueSize, () => state.TotalQueueDepth, description: "Requests waiting for a batch, all loaded models");
        meter.CreateObservableGauge(MetricNames.ModelsLoaded, () => state.LoadedModelCount, description: "Models loaded now");
        _modelLoads = meter.CreateCounter<long>(MetricNames.ModelLoads, description: "Models loaded on first use, by result");
        _modelUnloads = meter.CreateCounter<long>(MetricNames.ModelUnloads, description: "Idle models unloaded to make room (least recently used)");
        _cacheHits = meter.CreateCounter<long>(MetricNames.CacheHits, description: "Rows answered from the prediction cache (no inference)");
        _cacheMisses = meter.CreateCounter<long>(MetricNames.CacheMisses, description: "Rows the prediction cache did not hold (inferred)");
        _cacheEvictions = meter.CreateCounter<long>(MetricNames.CacheEvictions, description: "Prediction cache entries dropped, by reason");
    }

    public void RequestStarted() => _active.Add(1);

    public void RequestEnded(string status, double seconds)
    {
        _active.Add(-1);
        _requests.Add(1, new KeyValuePair<string, object?>(MetricTags.Status, status));
        _latency.Record(seconds);
    }

    public void ModelLoaded(bool succeeded) =>
        _modelLoads.Add(1, new KeyValuePair<string, object?>(MetricTags.Result, succeeded ? "loaded" : "failed"));

    public void ModelUnloaded() => _modelUnloads.Add(1);

    public void CacheHit() => _cacheHits.Add(1);

    public void CacheMiss() => _cacheMisses.Add(1);

    public void CacheEvicted(string reason) => _cacheEvictions.Add(1, new KeyValuePair<string, object?>(MetricTags.Reason, reason));

    /// <summary>Observes the cache's size as ml_cache_entries (once, when the cache is made).</summary>
    public void ObserveCacheEntries(Func<int> entries) =>
        _meter.CreateObservableGauge(MetricNames.CacheEntries, entries, description: "Entries in the prediction cache");

    public void BatchRan(int size, double seconds, string device)
    {
        _batchSize.Record(size);
        _inference.Record(seconds, new KeyValuePair<string, object?>(MetricTags.Device, device));
    }
}
