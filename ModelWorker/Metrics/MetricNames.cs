namespace ModelWorker.Metrics;

/// <summary>
/// Instrument names as the Prometheus exporter prints them: the names autoscalers (HPA, KEDA) and model-server
/// dashboards query. The counter is created without its _total suffix because the exporter appends it.
/// </summary>
public static class MetricNames
{
    public const string MeterName = "ModelWorker";
    public const string Requests = "ml_requests";
    public const string RequestLatency = "ml_request_latency_seconds";
    public const string BatchSize = "ml_batch_size";
    public const string QueueSize = "ml_queue_size";
    public const string ActiveRequests = "ml_active_requests";
    public const string InferenceTime = "ml_inference_seconds";
    public const string ModelsLoaded = "ml_models_loaded";
    public const string ModelLoads = "ml_model_loads";
    public const string ModelUnloads = "ml_model_unloads";
    public const string CacheHits = "ml_cache_hits";
    public const string CacheMisses = "ml_cache_misses";
    public const string CacheEvictions = "ml_cache_evictions";
    public const string CacheEntries = "ml_cache_entries";

    /// <summary>Request latency buckets, seconds (the seeds' 0.01 .. 5 s).</summary>
    internal static readonly double[] LatencyBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

    /// <summary>Batch size buckets (the seeds' 1 .. 64).</summary>
    internal static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64];

    /// <summary>Model Run time per batch, seconds: sub-millisecond CPU runs up to slow GPU warm-ups.</summary>
    internal static readonly double[] InferenceBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];
}
