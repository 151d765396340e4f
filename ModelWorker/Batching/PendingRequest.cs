namespace ModelWorker.Batching;

/// <summary>
/// One queued request and its waiter. Three parties may end its wait — the batch loop, the batcher's timeout
/// timer and the caller's cancellation — so its state moves once, by compare-exchange: Queued -> Running -> Done, or
/// Queued -> Done (timed out, cancelled, rejected). Whoever loses the race does nothing, and whoever wins
/// tells the batcher, exactly once, that the request left the queue.
/// </summary>
internal sealed class PendingRequest : TaskCompletionSource<BatchResult>
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Done = 2;

    private readonly Action _onLeftQueue;
    private int _state;
    private CancellationTokenRegistration _cancellation;

    // Continuations run on the thread pool, never inline on the batch loop (as ConcurrencyLimiter's waiters).
    public PendingRequest(ReadOnlyMemory<float> features, Memory<float> probabilities, long queuedAt, Action onLeftQueue)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Features = features;
        Probabilities = probabilities;
        QueuedAt = queuedAt;
        _onLeftQueue = onLeftQueue;
    }

    /// <summary>The caller's row; read only by the batch loop, and only after <see cref="TryStartRunning"/>.</summary>
    public ReadOnlyMemory<float> Features { get; }

    /// <summary>The caller's buffer for the row's probabilities; written only after <see cref="TryStartRunning"/>.</summary>
    public Memory<float> Probabilities { get; }

    /// <summary>TimeProvider timestamp of the moment the request was queued; its timeout counts from here.</summary>
    public long QueuedAt { get; }

    public bool IsQueued => Volatile.Read(ref _state) == Queued;

    /// <summary>Ends the wait when the caller cancels; that may happen before this returns.</summary>
    public void WatchCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static s => ((PendingRequest)s!).TryEnd(BatchStatus.Cancelled), this);
        }
    }

    /// <summary>Claims the request for a batch about to run; false when it already timed out or was cancelled.</summary>
    public bool TryStartRunning()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued)
        {
            return false;
        }

        _cancellation.Dispose();
        _onLeftQueue();
        return true;
    }

    /// <summary>Delivers the batch's result to a request claimed by <see cref="TryStartRunning"/>.</summary>
    public void Complete(BatchResult result)
    {
        Volatile.Write(ref _state, Done);
        TrySetResult(result);
    }

    /// <summary>Ends a waiting request without running it (timeout, cancellation, queue full, shutdown).</summary>
    public void TryEnd(BatchStatus status)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Queued) != Queued)
        {
            return;
        }

        // Unregister rather than Dispose: this may run inside the cancellation callback itself.
        _cancellation.Unregister();
        _onLeftQueue();
        TrySetResult(BatchResult.Of(status));
    }
}
