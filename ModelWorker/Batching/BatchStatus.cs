namespace ModelWorker.Batching;

/// <summary>How a submitted request ended; the endpoint maps each to one HTTP status.</summary>
public enum BatchStatus
{
    /// <summary>The request ran in a batch and has probabilities.</summary>
    Succeeded,

    /// <summary>The queue was full: load shedding, nothing was queued (503).</summary>
    QueueFull,

    /// <summary>The worker is draining for shutdown and takes no new work (503).</summary>
    ShuttingDown,

    /// <summary>The request waited past its timeout and was not run (504).</summary>
    TimedOut,

    /// <summary>The caller went away before its batch ran; it was dropped from the batch.</summary>
    Cancelled,

    /// <summary>The model's Run threw for this request's batch (500).</summary>
    Failed,
}
