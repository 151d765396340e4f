using Gateway.Config;
using Gateway.Health;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Tests.Health;

/// <summary>
/// The breaker with every try run through <see cref="DestinationCircuitBreaker.ExecuteAsync"/>; the same tests run again in
/// <see cref="DestinationCircuitBreakerRecordTests"/> the way the request path uses it (a closed circuit's tries run
/// outside Polly and are recorded after).
/// </summary>
public class DestinationCircuitBreakerTests
{
    private static readonly ForwardOutcome Ok = new(ForwardOutcomeKind.Response, 200);
    private static readonly ForwardOutcome Failed = new(ForwardOutcomeKind.Response, 503);
    private static readonly ForwardOutcome Canceled = new(ForwardOutcomeKind.ClientCanceled, 0);
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new();
    private readonly List<(CircuitState State, TimeSpan Period)> _changes = [];
    private TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runs;

    private DestinationCircuitBreaker Make(int consecutive = 0, int minimumThroughput = 10) =>
        new(new CircuitBreakerOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = minimumThroughput,
            SamplingDurationSeconds = 10,
            ConsecutiveFailures = consecutive,
            BreakDurationSeconds = Break.TotalSeconds,
        }, _time, (state, period) =>
        {
            lock (_changes)
            {
                _changes.Add((state, period));
            }

            if (state == CircuitState.Closed)
            {
                _closed.TrySetResult();
            }
        });

    /// <summary>
    /// The changes reported so far, copied under the lock: Polly may report one from another thread (the Open that
    /// follows an isolation arrived while a test enumerated the list).
    /// </summary>
    private List<(CircuitState State, TimeSpan Period)> Changes()
    {
        lock (_changes)
        {
            return [.. _changes];
        }
    }

    /// <summary>Whether a try in a closed circuit runs outside the breaker and is recorded after (ForwardingMiddleware's way).</summary>
    protected virtual bool RecordWhenClosed => false;

    private async Task<bool> Run(DestinationCircuitBreaker breaker, ForwardOutcome outcome)
    {
        if (RecordWhenClosed && breaker.IsClosed)
        {
            Interlocked.Increment(ref _runs);
            await breaker.Record(outcome);
            return true;
        }

        var (ran, result) = await breaker.ExecuteAsync((_, o) =>
        {
            Interlocked.Increment(ref _runs);
            return ValueTask.FromResult(Outcome.FromResult(o));
        }, outcome);
        if (ran)
        {
            Assert.Equal(outcome, result);
        }

        return ran;
    }

    // Alternating, so the consecutive rule (when on) never fires: the ratio opens it at the 10th call.
    private async Task OpenByRatio(DestinationCircuitBreaker breaker)
    {
        for (var i = 0; i < 10; i++)
        {
            await Run(breaker, i % 2 == 0 ? Ok : Failed);
        }

        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_FailureRatioReachedAtMinimumThroughput_Opens()
    {
        var breaker = Make();
        for (var i = 0; i < 9; i++)
        {
            await Run(breaker, i % 2 == 0 ? Ok : Failed);
            Assert.Equal(CircuitState.Closed, breaker.State); // below the minimum throughput of 10
        }

        await Run(breaker, Failed); // 10 sampled, 5 failed: ratio 0.5 (Polly decides on a failure)

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal((CircuitState.Open, Break), Changes()[^1]);
        Assert.Equal(1, breaker.Opened);
    }

    [Fact]
    public async Task ExecuteAsync_FailuresBelowMinimumThroughput_StaysClosed()
    {
        var breaker = Make();
        for (var i = 0; i < 9; i++)
        {
            await Run(breaker, Failed);
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Empty(Changes());
    }

    [Fact]
    public async Task ExecuteAsync_FailureRatioBelowThreshold_StaysClosed()
    {
        var breaker = Make();
        for (var i = 0; i < 20; i++)
        {
            await Run(breaker, i % 3 == 0 ? Failed : Ok); // 7 of 20
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_ConsecutiveFailures_IsolatesAndASuccessResetsTheStreak()
    {
        var breaker = Make(consecutive: 5, minimumThroughput: 1000);
        foreach (var outcome in new[] { Failed, Failed, Failed, Failed, Ok, Failed, Failed, Failed, Failed })
        {
            await Run(breaker, outcome);
        }

        Assert.Equal(CircuitState.Closed, breaker.State);

        await Run(breaker, Failed);

        Assert.Equal(CircuitState.Isolated, breaker.State);
        Assert.Contains((CircuitState.Isolated, Break), Changes());
        Assert.Equal(1, breaker.Opened);
    }

    [Fact]
    public async Task ExecuteAsync_OpenCircuit_RejectsWithoutRunningForTheWholeBreakDuration()
    {
        var breaker = Make();
        await OpenByRatio(breaker);
        var runs = _runs;

        Assert.False(await Run(breaker, Ok));
        _time.Advance(Break - TimeSpan.FromMilliseconds(1));
        Assert.False(await Run(breaker, Ok));

        Assert.Equal(runs, _runs);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_HalfOpenTrialSucceeds_Closes()
    {
        var breaker = Make();
        await OpenByRatio(breaker);
        _time.Advance(Break);

        Assert.True(await Run(breaker, Ok));

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(CircuitState.Closed, Changes()[^1].State);
        Assert.True(await Run(breaker, Ok));
    }

    [Fact]
    public async Task ExecuteAsync_HalfOpenTrialFails_OpensForAnotherBreak()
    {
        var breaker = Make();
        await OpenByRatio(breaker);
        _time.Advance(Break);

        Assert.True(await Run(breaker, Failed));

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal((CircuitState.Open, Break), Changes()[^1]);
        Assert.False(await Run(breaker, Ok));
        _time.Advance(Break);
        Assert.True(await Run(breaker, Ok));
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_HalfOpenTrialInFlight_OtherCallsAreNotSent()
    {
        var breaker = Make();
        await OpenByRatio(breaker);
        _time.Advance(Break);
        var trial = new TaskCompletionSource<ForwardOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = breaker.ExecuteAsync(static async (_, t) => Outcome.FromResult(await t.Task), trial).AsTask();
        var second = await Run(breaker, Ok);
        trial.SetResult(Ok);

        Assert.False(second);
        Assert.True((await first).Ran);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    private async Task<DestinationCircuitBreaker> IsolateAndWaitOutTheBreak()
    {
        var breaker = Make(consecutive: 5, minimumThroughput: 1000);
        for (var i = 0; i < 5; i++)
        {
            await Run(breaker, Failed);
        }

        Assert.Equal(CircuitState.Isolated, breaker.State);
        Assert.False(await Run(breaker, Ok));
        _time.Advance(Break);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.Contains((CircuitState.HalfOpen, TimeSpan.Zero), Changes());
        return breaker;
    }

    /// <summary>The trial, held open by <paramref name="result"/>; retried while Polly has not yet applied the manual close.</summary>
    private static async Task<Task<(bool Ran, ForwardOutcome Outcome)>> StartTrial(DestinationCircuitBreaker breaker,
        TaskCompletionSource<ForwardOutcome> result)
    {
        for (var i = 0; i < 500; i++)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var trial = breaker.ExecuteAsync(async (_, t) =>
            {
                started.TrySetResult();
                return Outcome.FromResult(await t.Task);
            }, result).AsTask();
            if (await Task.WhenAny(trial, started.Task) == started.Task)
            {
                return trial;
            }

            Assert.False((await trial).Ran);
            await Task.Delay(10);
        }

        throw new TimeoutException("the half-open trial never ran");
    }

    [Fact]
    public async Task Isolation_AfterBreakDuration_HalfOpenOneTrialAtATimeAndAFailureIsolatesAgain()
    {
        var breaker = await IsolateAndWaitOutTheBreak();
        var result = new TaskCompletionSource<ForwardOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var trial = await StartTrial(breaker, result);

        Assert.False(await Run(breaker, Ok)); // the trial is out: not sent, goes elsewhere
        Assert.False(await Run(breaker, Ok));
        result.SetResult(Failed);

        Assert.True((await trial).Ran);
        Assert.Equal(CircuitState.Isolated, breaker.State);
        Assert.Equal(2, breaker.Opened);
        Assert.DoesNotContain(Changes(), c => c.State == CircuitState.Closed);
    }

    [Fact]
    public async Task Isolation_TrialSucceeds_ClosesWithAFreshStreak()
    {
        var breaker = await IsolateAndWaitOutTheBreak();
        var result = new TaskCompletionSource<ForwardOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var trial = await StartTrial(breaker, result);
        result.SetResult(Ok);

        Assert.True((await trial).Ran);
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal((CircuitState.Closed, TimeSpan.Zero), Changes()[^1]);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await Run(breaker, Failed)); // four in a row: still under the rule of five
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task Isolation_TrialCanceledByClient_NextTryIsTheTrial()
    {
        var breaker = await IsolateAndWaitOutTheBreak();
        var result = new TaskCompletionSource<ForwardOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var trial = await StartTrial(breaker, result);
        result.SetResult(Canceled);
        Assert.True((await trial).Ran);

        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.True(await Run(breaker, Failed));
        Assert.Equal(CircuitState.Isolated, breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_ClientCanceled_NeitherCountsAsFailureNorBreaksTheStreak()
    {
        var breaker = Make(consecutive: 5, minimumThroughput: 1000);
        for (var i = 0; i < 20; i++)
        {
            await Run(breaker, Canceled);
        }

        Assert.Equal(CircuitState.Closed, breaker.State);

        foreach (var outcome in new[] { Failed, Failed, Failed, Failed, Canceled, Failed })
        {
            await Run(breaker, outcome);
        }

        Assert.Equal(CircuitState.Isolated, breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_HalfOpenTrialCanceledByClient_OneFailureOpensAgain()
    {
        var breaker = Make(consecutive: 5);
        await OpenByRatio(breaker);
        _time.Advance(Break);

        Assert.True(await Run(breaker, Canceled));
        await Run(breaker, Failed);

        Assert.Equal(CircuitState.Isolated, breaker.State);
    }
}

/// <summary>The breaker's tests as the request path drives it: a closed circuit's tries are recorded after they ran.</summary>
public sealed class DestinationCircuitBreakerRecordTests : DestinationCircuitBreakerTests
{
    protected override bool RecordWhenClosed => true;
}
