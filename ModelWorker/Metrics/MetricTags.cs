namespace ModelWorker.Metrics;

/// <summary>Tag keys and values of the worker's metrics, in one place so dashboards and rules match the code.</summary>
public static class MetricTags
{
    /// <summary>Tag of ml_requests_total: how the request ended.</summary>
    public const string Status = "status";

    /// <summary>Tag of ml_inference_seconds: the device that ran the batch (cpu, cuda).</summary>
    public const string Device = "device";

    /// <summary>Tag of ml_model_loads_total: loaded or failed.</summary>
    public const string Result = "result";

    /// <summary>Tag of ml_cache_evictions_total: capacity (least recently used) or expired (TTL).</summary>
    public const string Reason = "reason";

    /// <summary>Values of <see cref="Status"/> (the seeds' success/timeout/error, plus what load shedding adds).</summary>
    public static class StatusValues
    {
        public const string Success = "success";
        public const string Timeout = "timeout";
        public const string Error = "error";
        public const string Rejected = "rejected";
        public const string Invalid = "invalid";
        public const string Cancelled = "cancelled";
    }
}
