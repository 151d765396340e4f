namespace ModelWorker.Batching;

/// <summary>The dynamic batcher's knobs (Triton's max_batch_size, max_queue_delay, queue size and timeout).</summary>
public sealed record BatcherOptions
{
    public const int DefaultMaxBatchSize = 32;
    public const int DefaultMaxWaitMs = 50;
    public const int DefaultQueueCapacity = 1024;
    public const int DefaultRequestTimeoutMs = 5000;

    /// <summary>Work-conserving (the default) or the seeds' fixed window.</summary>
    public BatchingMode Mode { get; init; } = BatchingMode.WorkConserving;

    /// <summary>A batch closes when it holds this many requests.</summary>
    public int MaxBatchSize { get; init; } = DefaultMaxBatchSize;

    /// <summary>
    /// Fixed window only: a batch closes this long after its first request was queued; zero runs whatever is queued
    /// at once. Work-conserving batches never wait for rows while the model is idle.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(DefaultMaxWaitMs);

    /// <summary>Requests that may wait in the queue; one more is rejected at once.</summary>
    public int QueueCapacity { get; init; } = DefaultQueueCapacity;

    /// <summary>A request still waiting this long after it was queued times out and is not run.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMilliseconds(DefaultRequestTimeoutMs);
}
