using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ModelWorker.Metrics;

namespace ModelWorker.Batching;

/// <summary>
/// Dynamic batcher in the manner of Triton's dynamic batcher and Ray Serve's @serve.batch: many single-row
/// requests wait in one bounded channel and one loop turns them into batched Run calls. Work-conserving (the
/// default): an idle model runs what is queued at once, and what arrives while it runs forms the next batch (at
/// most <see cref="BatcherOptions.MaxBatchSize"/>), so batches grow with load instead of with waiting. Fixed window
/// (the seeds' batcher): a batch closes at <see cref="BatcherOptions.MaxBatchSize"/> or
/// <see cref="BatcherOptions.MaxWait"/> after its first request was queued (a backlog that built up during the
/// previous Run goes out at once). The request path takes no lock of its own: TryWrite into the channel, an
/// enqueue into the deadline queue, an Interlocked depth counter, and a waiter per request; one timer, armed for
/// the oldest waiting request, times requests out (all share one timeout, so deadlines expire in arrival order).
/// </summary>
public sealed class Batcher
{
    // A re-armed wait may end this much after max wait: on a real clock every read differs by a little.
    private static readonly TimeSpan RearmTolerance = TimeSpan.FromMilliseconds(1);

    private readonly Channel<PendingRequest> _queue;
    private readonly IBatchModel _model;
    private readonly BatcherOptions _options;
    private readonly TimeProvider _time;
    private readonly WorkerMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Action _onLeftQueue;

    // Owned by the loop alone and reused for every batch (no per-batch tensor allocation).
    private readonly PendingRequest[] _batch;
    private readonly float[] _input;
    private readonly float[] _output;

    // Timeouts: every queued request in arrival order, and one timer for the head (see OnDeadline).
    private readonly ConcurrentQueue<PendingRequest> _byDeadline = new();
    private readonly Lock _deadlineLock = new();
    private readonly ITimer _deadlineTimer;
    private int _deadlineArmed;

    private int _depth;
    private volatile bool _stopping;

    // Liveness: TimeProvider timestamp at which the running batch's Run started, 0 while no Run is in progress.
    private long _runStartedAt;
    private int _runSize;

    // Set by the loop while it waits for a batch to fill; completed by the submitter that fills it.
    private TaskCompletionSource? _batchFull;

    public Batcher(IBatchModel model, BatcherOptions options, TimeProvider time, ILogger logger, WorkerMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _model = model;
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _onLeftQueue = () => Interlocked.Decrement(ref _depth);
        _queue = Channel.CreateBounded<PendingRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once instead of dropping anyone
        });
        _deadlineTimer = time.CreateTimer(static s => ((Batcher)s!).OnDeadline(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _batch = new PendingRequest[options.MaxBatchSize];
        _input = new float[options.MaxBatchSize * model.FeatureCount];
        _output = new float[options.MaxBatchSize * model.ClassCount];
    }

    /// <summary>Floats per row that <see cref="SubmitAsync"/> accepts.</summary>
    public int FeatureCount => _model.FeatureCount;

    /// <summary>Requests waiting: queued, or collected into a batch that has not started running.</summary>
    public int QueueDepth => Volatile.Read(ref _depth);

    /// <summary>False once shutdown began: the worker finishes its queue but takes nothing new.</summary>
    public bool IsAccepting => !_stopping;

    /// <summary>Floats per row of probabilities that a successful request gets back.</summary>
    public int ClassCount => _model.ClassCount;

    /// <summary>How long the model's current Run has been going, or null while none runs (liveness: a hung Run).</summary>
    public TimeSpan? RunningFor
    {
        get
        {
            var started = Volatile.Read(ref _runStartedAt);
            return started == 0 ? null : _time.GetElapsedTime(started);
        }
    }

    /// <summary>Rows in the Run in progress (0 while none runs).</summary>
    public int RunningBatchSize => Volatile.Read(ref _runSize);

    /// <summary>Queues one row and waits for its batch; on success the probabilities are in a new array.</summary>
    public Task<BatchResult> SubmitAsync(float[] features, CancellationToken cancellationToken = default) =>
        SubmitAsync(features, new float[_model.ClassCount], cancellationToken);

    /// <summary>
    /// Queues one row and waits for its batch. Never throws for load: full, late and failed are results.
    /// The caller owns both buffers (they may be pooled): the batch loop copies <paramref name="features"/> into
    /// its own input buffer and writes the row's probabilities into <paramref name="probabilities"/>, both only
    /// if the request runs, and both before the task completes; after that the batcher never touches them again.
    /// </summary>
    public Task<BatchResult> SubmitAsync(ReadOnlyMemory<float> features, Memory<float> probabilities, CancellationToken cancellationToken = default)
    {
        if (features.Length != _model.FeatureCount)
        {
            throw new ArgumentException($"expected {_model.FeatureCount} features, got {features.Length}", nameof(features));
        }

        if (probabilities.Length != _model.ClassCount)
        {
            throw new ArgumentException($"expected room for {_model.ClassCount} probabilities, got {probabilities.Length}", nameof(probabilities));
        }

        if (_stopping)
        {
            return Task.FromResult(BatchResult.Of(BatchStatus.ShuttingDown));
        }

        var request = new PendingRequest(features, probabilities, _time.GetTimestamp(), _onLeftQueue);
        Interlocked.Increment(ref _depth);
        request.WatchCancellation(cancellationToken);
        WatchDeadline(request);
        if (!_queue.Writer.TryWrite(request))
        {
            request.TryEnd(_stopping ? BatchStatus.ShuttingDown : BatchStatus.QueueFull);
        }
        else
        {
            SignalIfFull();
        }

        return request.Task;
    }

    /// <summary>Stops accepting; <see cref="RunAsync"/> finishes what is queued, then returns.</summary>
    public void Complete()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        BatcherLog.Draining(_logger, QueueDepth);
        _queue.Writer.TryComplete();
        SignalIfFull();
    }

    /// <summary>The batch loop: runs until <see cref="Complete"/> was called and the queue is empty.</summary>
    public async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var count = await CollectAsync(reader).ConfigureAwait(false);
            if (count > 0)
            {
                RunBatch(count);
            }
        }

        _deadlineTimer.Dispose();
        BatcherLog.Stopped(_logger);
    }

    // Takes what is queued; while the batch is not full it sleeps until the queue holds a full batch or max wait
    // has passed since the batch's first request. Submitters wake it once per batch, not once per request: at
    // saturation a wake-up per request (a thread-pool hop each) made the loop itself the bottleneck.
    private async Task<int> CollectAsync(ChannelReader<PendingRequest> reader)
    {
        long firstQueuedAt = 0;
        var count = Drain(reader, 0, ref firstQueuedAt);
        if (_options.Mode == BatchingMode.WorkConserving)
        {
            return count; // the model is idle (this loop is not in Run): never make it wait for rows
        }

        while (count > 0 && count < _batch.Length && !_stopping)
        {
            var full = await WaitForFullBatchAsync(firstQueuedAt).ConfigureAwait(false);
            count = Drain(reader, count, ref firstQueuedAt);
            if (!full)
            {
                break; // max wait passed: run what there is
            }
        }

        return count;
    }

    private int Drain(ChannelReader<PendingRequest> reader, int count, ref long firstQueuedAt)
    {
        while (count < _batch.Length && reader.TryRead(out var request))
        {
            if (!request.IsQueued)
            {
                continue; // timed out or cancelled while queued: already answered
            }

            if (count == 0)
            {
                firstQueuedAt = request.QueuedAt;
            }

            _batch[count++] = request;
        }

        return count;
    }

    /// <summary>True when a full batch is waiting (or shutdown began); false when max wait after the batch's first request passed.</summary>
    private async Task<bool> WaitForFullBatchAsync(long firstQueuedAt)
    {
        var remaining = _options.MaxWait - _time.GetElapsedTime(firstQueuedAt);
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }

        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _batchFull, full); // a full fence: a submitter that queued before this is seen below
        try
        {
            if (QueueDepth >= _batch.Length || _stopping)
            {
                return true;
            }

            // The timer counts from when it is created (or re-armed), not from when `remaining` was read: while the
            // clock moved on in between, re-arm it from the time now, or close now if max wait has passed.
            using var deadline = new CancellationTokenSource(remaining, _time);
            for (var armedAt = _options.MaxWait - remaining; ;)
            {
                var elapsed = _time.GetElapsedTime(firstQueuedAt);
                if (elapsed >= _options.MaxWait)
                {
                    return false;
                }

                if (elapsed - armedAt < RearmTolerance)
                {
                    break;
                }

                deadline.CancelAfter(_options.MaxWait - elapsed);
                armedAt = elapsed;
            }

            // The deadline cancels the wait; SuppressThrowing keeps the common "max wait passed" path free of exceptions.
            await full.Task.WaitAsync(deadline.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return full.Task.IsCompleted;
        }
        finally
        {
            Volatile.Write(ref _batchFull, null);
        }
    }

    /// <summary>Wakes the loop when the queue holds a full batch (called after a request was queued) or on shutdown.</summary>
    private void SignalIfFull()
    {
        if (QueueDepth >= _batch.Length || _stopping)
        {
            Volatile.Read(ref _batchFull)?.TrySetResult();
        }
    }

    private void RunBatch(int collected)
    {
        // Claim each request just before Run: one that timed out or whose client left meanwhile is dropped.
        var features = _model.FeatureCount;
        var size = 0;
        for (var i = 0; i < collected; i++)
        {
            var request = _batch[i];
            _batch[i] = null!;
            if (request.TryStartRunning())
            {
                request.Features.Span.CopyTo(_input.AsSpan(size * features, features));
                _batch[size++] = request;
            }
        }

        DropLeftHeads();
        if (size == 0)
        {
            return;
        }

        var started = _time.GetTimestamp();
        Volatile.Write(ref _runSize, size);
        Volatile.Write(ref _runStartedAt, Math.Max(1, started));
        try
        {
            _model.Run(_input.AsMemory(0, size * features), _output.AsMemory(0, size * _model.ClassCount), size);
        }
#pragma warning disable CA1031 // Any exception from Run fails this batch only; the loop must keep serving.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            BatcherLog.RunFailed(_logger, ex, size);
            FailBatch(size, BatchResult.Failure(ex, size));
            return;
        }
        finally
        {
            Volatile.Write(ref _runStartedAt, 0);
            Volatile.Write(ref _runSize, 0);
        }

        _metrics?.BatchRan(size, _time.GetElapsedTime(started).TotalSeconds, _model.Device);
        var classes = _model.ClassCount;
        for (var i = 0; i < size; i++)
        {
            var request = _batch[i];
            _batch[i] = null!;
            _output.AsSpan(i * classes, classes).CopyTo(request.Probabilities.Span);
            request.Complete(BatchResult.Success(request.Probabilities, size));
        }
    }

    // One timer for all timeouts: every request waits with the same timeout, so the oldest queued request is the
    // next to expire. Submitters arm the timer only when it is idle (one compare-exchange); the callback expires
    // the heads that are due and re-arms itself for the next head. A per-request timer cost about 100 B and a
    // timer-queue insert and removal per request.
    private void WatchDeadline(PendingRequest request)
    {
        _byDeadline.Enqueue(request);
        if (Volatile.Read(ref _deadlineArmed) == 0 && Interlocked.CompareExchange(ref _deadlineArmed, 1, 0) == 0)
        {
            _deadlineTimer.Change(_options.RequestTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDeadline()
    {
        while (true)
        {
            lock (_deadlineLock)
            {
                var now = _time.GetTimestamp();
                while (_byDeadline.TryPeek(out var head))
                {
                    var left = _options.RequestTimeout - _time.GetElapsedTime(head.QueuedAt, now);
                    if (head.IsQueued && left > TimeSpan.Zero)
                    {
                        _deadlineTimer.Change(left, Timeout.InfiniteTimeSpan); // stays armed
                        return;
                    }

                    head.TryEnd(BatchStatus.TimedOut); // no-op for one that already left (ran, was cancelled, rejected)
                    _byDeadline.TryDequeue(out _);
                }

                Volatile.Write(ref _deadlineArmed, 0);
            }

            // A submitter that enqueued after the queue looked empty but before the write above saw the timer armed
            // and left it: arm it for that one here.
            if (_byDeadline.IsEmpty || Interlocked.CompareExchange(ref _deadlineArmed, 1, 0) != 0)
            {
                return;
            }
        }
    }

    // The loop removes the requests that left the queue from the head of the deadline queue, so it holds only
    // what waits (plus those behind a waiting one), not every request of the last timeout period.
    private void DropLeftHeads()
    {
        lock (_deadlineLock)
        {
            while (_byDeadline.TryPeek(out var head) && !head.IsQueued)
            {
                _byDeadline.TryDequeue(out _);
            }
        }
    }

    private void FailBatch(int size, BatchResult failure)
    {
        for (var i = 0; i < size; i++)
        {
            _batch[i].Complete(failure);
            _batch[i] = null!;
        }
    }
}
