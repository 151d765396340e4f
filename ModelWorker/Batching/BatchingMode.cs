namespace ModelWorker.Batching;

/// <summary>When a batch closes (<c>--batching</c>).</summary>
public enum BatchingMode
{
    /// <summary>
    /// The model never idles while a request waits: an idle model runs what is queued at once, and while a batch
    /// runs the next one gathers (up to max batch size). Low load gets unbatched latency, high load full batches.
    /// </summary>
    WorkConserving,

    /// <summary>
    /// The seeds' batcher: a batch waits up to max wait after its first request to fill to max batch size, even
    /// when the model is idle (a lone request takes max wait).
    /// </summary>
    FixedWindow,
}
