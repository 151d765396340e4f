using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ModelWorker.Metrics;

namespace ModelWorker.Batching;

/// <summary>
/// Dynamic batcher in the manner of Triton's dynamic batcher and Ray Serve's @serve.batch: many single-row
/// requests wait in one bounded channel and one loop turns them into batched Run calls. A batch closes at
/// <see cref="BatcherOptions.MaxBatchSize"/> or <see cref="BatcherOptions.MaxWait"/> after its first request
/// was queued (so a backlog that built up during the previous Run goes out at once). The request path takes
/// no lock: TryWrite into the channel, an Interlocked depth counter, and a waiter per request.
/// </summary>
public sealed class Batcher
{
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

    private int _depth;
    private volatile bool _stopping;

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

    /// <summary>Queues one row and waits for its batch. Never throws for load: full, late and failed are results.</summary>
    public Task<BatchResult> SubmitAsync(float[] features, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length != _model.FeatureCount)
        {
            throw new ArgumentException($"expected {_model.FeatureCount} features, got {features.Length}", nameof(features));
        }

        if (_stopping)
        {
            return Task.FromResult(BatchResult.Of(BatchStatus.ShuttingDown));
        }

        var request = new PendingRequest(features, _time.GetTimestamp(), _onLeftQueue);
        Interlocked.Increment(ref _depth);
        request.Arm(_options.RequestTimeout, _time, cancellationToken);
        if (!_queue.Writer.TryWrite(request))
        {
            request.TryEnd(_stopping ? BatchStatus.ShuttingDown : BatchStatus.QueueFull);
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

        BatcherLog.Stopped(_logger);
    }

    private async Task<int> CollectAsync(ChannelReader<PendingRequest> reader)
    {
        var count = 0;
        long firstQueuedAt = 0;
        while (count < _batch.Length)
        {
            if (reader.TryRead(out var request))
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
                continue;
            }

            if (count == 0)
            {
                break;
            }

            if (_stopping || !await WaitForMoreAsync(reader, firstQueuedAt).ConfigureAwait(false))
            {
                break;
            }
        }

        return count;
    }

    /// <summary>Waits for another request until max wait after the batch's first; false when the batch must close.</summary>
    private async Task<bool> WaitForMoreAsync(ChannelReader<PendingRequest> reader, long firstQueuedAt)
    {
        var remaining = _options.MaxWait - _time.GetElapsedTime(firstQueuedAt);
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }

        // The timer is relative to when it is created: if the clock moved on meanwhile, close now.
        using var deadline = new CancellationTokenSource(remaining, _time);
        if (_time.GetElapsedTime(firstQueuedAt) >= _options.MaxWait)
        {
            return false;
        }

        // The deadline cancels the wait; SuppressThrowing keeps the common "max wait passed" path free of exceptions.
        var wait = reader.WaitToReadAsync(deadline.Token).AsTask();
        await ((Task)wait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return wait.IsCompletedSuccessfully && wait.Result;
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
                request.Features.CopyTo(_input.AsSpan(size * features, features));
                _batch[size++] = request;
            }
        }

        if (size == 0)
        {
            return;
        }

        var started = _time.GetTimestamp();
        try
        {
            _model.Run(_input.AsMemory(0, size * features), _output.AsMemory(0, size * _model.ClassCount), size);
        }
#pragma warning disable CA1031 // Any exception from Run fails this batch only; the loop must keep serving.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            BatcherLog.RunFailed(_logger, ex, size);
            FinishBatch(size, i => BatchResult.Failure(ex, size));
            return;
        }

        _metrics?.BatchRan(size, _time.GetElapsedTime(started).TotalSeconds, _model.Device);
        var classes = _model.ClassCount;
        FinishBatch(size, i => BatchResult.Success(_output.AsSpan(i * classes, classes).ToArray(), size));
    }

    private void FinishBatch(int size, Func<int, BatchResult> resultOf)
    {
        for (var i = 0; i < size; i++)
        {
            _batch[i].Complete(resultOf(i));
            _batch[i] = null!;
        }
    }
}
