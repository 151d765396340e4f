using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ModelWorker.Batching;

namespace Gateway.Tests.Worker;

public sealed class BatcherTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();
    private readonly FakeBatchModel _model = new();

    [Fact]
    public async Task SubmitAsync_FixedWindowMaxBatchSizeReached_RunsOneBatchWithoutWaiting()
    {
        var (batcher, loop) = Start(FixedWindow(new BatcherOptions { MaxBatchSize = 4, MaxWait = TimeSpan.FromSeconds(1) }));

        var results = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => Submit(batcher, i))).WaitAsync(Wait);

        Assert.All(results, r => Assert.Equal(BatchStatus.Succeeded, r.Status));
        Assert.All(results, r => Assert.Equal(4, r.BatchSize));
        Assert.Equal([1f, 2f, 3f, 4f], Assert.Single(_model.Batches));
        Assert.Equal(TimeSpan.Zero, _time.GetUtcNow() - _time.Start);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_FixedWindowMaxWaitPassed_RunsPartialBatch()
    {
        // The lone first request waits for the window: the second, 49 ms later, still joins its batch.
        var (batcher, loop) = Start(FixedWindow(new BatcherOptions { MaxBatchSize = 32, MaxWait = TimeSpan.FromMilliseconds(50) }));

        var first = Submit(batcher, 1);
        _time.Advance(TimeSpan.FromMilliseconds(49));
        var second = Submit(batcher, 2);
        Assert.False(first.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var results = await Task.WhenAll(first, second).WaitAsync(Wait);
        Assert.All(results, r => Assert.Equal(2, r.BatchSize));
        Assert.Equal([1f, 2f], Assert.Single(_model.Batches));
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_MaxWaitZero_RunsWhatIsQueuedAtOnce()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 32, MaxWait = TimeSpan.Zero });

        var result = await Submit(batcher, 1).WaitAsync(Wait);

        Assert.Equal(1, result.BatchSize);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_QueueFull_Returns503StatusAtOnceAndQueuesNothing()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero, QueueCapacity = 2 });
        _model.Close();
        var running = Submit(batcher, 1);
        await _model.WaitForRunAsync();
        var queued = new[] { Submit(batcher, 2), Submit(batcher, 3) };

        var rejected = Submit(batcher, 4);

        Assert.True(rejected.IsCompletedSuccessfully);
        Assert.Equal(BatchStatus.QueueFull, (await rejected).Status);
        Assert.Equal(2, batcher.QueueDepth);
        _model.Open();
        var results = await Task.WhenAll(queued.Prepend(running)).WaitAsync(Wait);
        Assert.All(results, r => Assert.Equal(BatchStatus.Succeeded, r.Status));
        Assert.DoesNotContain(_model.Batches, b => b.Contains(4f));
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_WaitsPastTimeout_TimesOutAndIsNotRun()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero, RequestTimeout = TimeSpan.FromMilliseconds(100) });
        _model.Close();
        var running = Submit(batcher, 1);
        await _model.WaitForRunAsync();
        var waiting = Submit(batcher, 2);

        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(BatchStatus.TimedOut, (await waiting.WaitAsync(Wait)).Status);
        Assert.Equal(0, batcher.QueueDepth);
        _model.Open();
        Assert.Equal(BatchStatus.Succeeded, (await running.WaitAsync(Wait)).Status); // already running: not timed out
        Assert.Equal(BatchStatus.Succeeded, (await Submit(batcher, 3).WaitAsync(Wait)).Status);
        Assert.Equal([[1f], [3f]], _model.Batches);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_RunThrows_FailsOnlyThatBatch()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero });
        _model.Close();
        var failing = Submit(batcher, 1);
        await _model.WaitForRunAsync();
        var next = Submit(batcher, 2);
        _model.FailNext = new InvalidOperationException("boom");

        _model.Open();

        var failed = await failing.WaitAsync(Wait);
        Assert.Equal(BatchStatus.Failed, failed.Status);
        Assert.Equal("boom", failed.Error?.Message);
        Assert.Equal(BatchStatus.Succeeded, (await next.WaitAsync(Wait)).Status);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_CallerCancelsBeforeRun_IsDroppedFromBatch()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero });
        _model.Close();
        var running = Submit(batcher, 1);
        await _model.WaitForRunAsync();
        using var cts = new CancellationTokenSource();
        var cancelled = batcher.SubmitAsync([2f, 0f], cts.Token);

        await cts.CancelAsync();

        Assert.Equal(BatchStatus.Cancelled, (await cancelled.WaitAsync(Wait)).Status);
        Assert.Equal(0, batcher.QueueDepth);
        _model.Open();
        await running.WaitAsync(Wait);
        await Submit(batcher, 3).WaitAsync(Wait);
        Assert.Equal([[1f], [3f]], _model.Batches);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task Complete_FixedWindowWithQueuedRequests_RejectsNewOnesAndFinishesQueued()
    {
        var (batcher, loop) = Start(FixedWindow(new BatcherOptions { MaxBatchSize = 8, MaxWait = TimeSpan.FromSeconds(1) }));
        _model.Close();
        var first = Submit(batcher, 1);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _model.WaitForRunAsync();
        var queued = new[] { Submit(batcher, 2), Submit(batcher, 3) };

        batcher.Complete();

        Assert.Equal(BatchStatus.ShuttingDown, (await Submit(batcher, 4)).Status);
        Assert.False(batcher.IsAccepting);
        _model.Open();
        await loop.WaitAsync(Wait); // the loop ends only after the queue is empty, without waiting max wait again
        var results = await Task.WhenAll(queued.Prepend(first)).WaitAsync(Wait);
        Assert.All(results, r => Assert.Equal(BatchStatus.Succeeded, r.Status));
        Assert.Equal([[1f], [2f, 3f]], _model.Batches);
    }

    [Fact]
    public async Task RunAsync_SeveralBatches_ReusesTheSameInputAndOutputBuffers()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 2, MaxWait = TimeSpan.Zero });

        for (var i = 0; i < 3; i++)
        {
            await Task.WhenAll(Submit(batcher, (2 * i) + 1), Submit(batcher, (2 * i) + 2)).WaitAsync(Wait);
        }

        var buffers = _model.Buffers.ToArray();
        Assert.True(buffers.Length >= 3, $"{buffers.Length} batches");
        Assert.NotNull(buffers[0].Input);
        Assert.NotNull(buffers[0].Output);
        Assert.All(buffers, b => Assert.Same(buffers[0].Input, b.Input));
        Assert.All(buffers, b => Assert.Same(buffers[0].Output, b.Output));
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_WorkConservingIdleModel_RunsAtOnceWithoutWaitingMaxWait()
    {
        // The defaults (32 / 50 ms): the fake clock never moves, so waiting for max wait would never end.
        var (batcher, loop) = Start(new BatcherOptions());

        var result = await Submit(batcher, 1).WaitAsync(Wait);

        Assert.Equal(BatchStatus.Succeeded, result.Status);
        Assert.Equal(1, result.BatchSize);
        Assert.Equal(TimeSpan.Zero, _time.GetUtcNow() - _time.Start);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_WorkConservingWhileBatchRuns_NextBatchIsWhatGatheredUpToMaxBatchSize()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 3 });
        _model.Close();
        var running = Submit(batcher, 1);
        await _model.WaitForRunAsync();
        var gathered = Enumerable.Range(2, 4).Select(i => Submit(batcher, i)).ToArray();
        Assert.Equal(4, batcher.QueueDepth);

        _model.Open();

        var results = await Task.WhenAll(gathered.Prepend(running)).WaitAsync(Wait);
        Assert.All(results, r => Assert.Equal(BatchStatus.Succeeded, r.Status));
        Assert.Equal([[1f], [2f, 3f, 4f], [5f]], _model.Batches);
        Assert.Equal(TimeSpan.Zero, _time.GetUtcNow() - _time.Start);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_ManyWaiting_OneTimerForAllTimeoutsNotOnePerRequest()
    {
        var time = new CountingTimeProvider(_time);
        var batcher = new Batcher(_model, new BatcherOptions { MaxBatchSize = 1, RequestTimeout = TimeSpan.FromMilliseconds(100) }, time, NullLogger.Instance);
        var loop = Task.Run(batcher.RunAsync);
        _model.Close();
        var running = Submit(batcher, 0);
        await _model.WaitForRunAsync();

        var waiting = Enumerable.Range(1, 50).Select(i => Submit(batcher, i)).ToArray();
        _time.Advance(TimeSpan.FromMilliseconds(100));

        var results = await Task.WhenAll(waiting).WaitAsync(Wait);
        Assert.All(results, r => Assert.Equal(BatchStatus.TimedOut, r.Status));
        Assert.True(time.TimersCreated <= 1, $"{time.TimersCreated} timers for 51 requests");
        _model.Open();
        await running.WaitAsync(Wait);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task SubmitAsync_StaggeredArrivals_EachTimesOutAtItsOwnDeadline()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 1, RequestTimeout = TimeSpan.FromMilliseconds(100) });
        _model.Close();
        var running = Submit(batcher, 0);
        await _model.WaitForRunAsync();
        var first = Submit(batcher, 1);
        _time.Advance(TimeSpan.FromMilliseconds(30));
        var second = Submit(batcher, 2);
        _time.Advance(TimeSpan.FromMilliseconds(30));
        var third = Submit(batcher, 3);

        _time.Advance(TimeSpan.FromMilliseconds(40)); // t = 100
        Assert.Equal(BatchStatus.TimedOut, (await first.WaitAsync(Wait)).Status);
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(29)); // t = 129
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1)); // t = 130
        Assert.Equal(BatchStatus.TimedOut, (await second.WaitAsync(Wait)).Status);
        Assert.False(third.IsCompleted);
        Assert.Equal(1, batcher.QueueDepth);

        _model.Open(); // the third runs before its deadline: the timer must not end it afterwards
        await running.WaitAsync(Wait);
        Assert.Equal(BatchStatus.Succeeded, (await third.WaitAsync(Wait)).Status);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var late = Submit(batcher, 4);
        Assert.Equal(BatchStatus.Succeeded, (await late.WaitAsync(Wait)).Status);
        Assert.Equal([[0f], [3f], [4f]], _model.Batches);
        await StopAsync(batcher, loop);
    }

    [Fact]
    public async Task RunningFor_RunInProgress_IsItsElapsedTimeAndNullWhenIdle()
    {
        var (batcher, loop) = Start(new BatcherOptions { MaxBatchSize = 4 });
        Assert.Null(batcher.RunningFor);
        _model.Close();
        var running = Submit(batcher, 1);
        await _model.WaitForRunAsync();

        _time.Advance(TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), batcher.RunningFor);
        Assert.Equal(1, batcher.RunningBatchSize);
        _model.Open();
        await running.WaitAsync(Wait);
        Assert.Null(batcher.RunningFor);
        await StopAsync(batcher, loop);
    }

    public void Dispose() => _model.Dispose();

    private static BatcherOptions FixedWindow(BatcherOptions options) => options with { Mode = BatchingMode.FixedWindow };

    private (Batcher Batcher, Task Loop) Start(BatcherOptions options)
    {
        var batcher = new Batcher(_model, options, _time, NullLogger.Instance);
        return (batcher, Task.Run(batcher.RunAsync));
    }

    private static Task<BatchResult> Submit(Batcher batcher, float id) => batcher.SubmitAsync([id, 0f]);

    private static async Task StopAsync(Batcher batcher, Task loop)
    {
        batcher.Complete();
        await loop.WaitAsync(Wait);
    }
}
