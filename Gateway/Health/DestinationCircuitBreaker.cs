using Gateway.Config;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Health;

/// <summary>
/// One destination's circuit breaker: Polly.Core's advanced breaker (failure ratio over a sampling window
/// with a minimum throughput, break duration, half-open trial), plus Envoy's consecutive-failures rule through
/// Polly's manual control. Opening and closing are reported to <paramref name="onChange"/>, which turns them
/// into YARP's passive health so every policy sees the same set of available destinations.
/// </summary>
public sealed class DestinationCircuitBreaker
{
    private readonly ResiliencePipeline<ForwardOutcome> _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly CircuitBreakerManualControl _manual = new();
    private readonly TimeProvider _time;
    private readonly Action<CircuitState, TimeSpan> _onChange;
    private int _consecutiveFailures;
    private int _trialGate; // after an isolation: NoTrial, TrialWanted (the next try is the trial), TrialOut
    private ITimer? _isolationTimer;
    private long _opened;

    public DestinationCircuitBreaker(CircuitBreakerOptions options, TimeProvider time, Action<CircuitState, TimeSpan> onChange)
    {
        Options = options;
        _time = time;
        _onChange = onChange;
        var breakDuration = TimeSpan.FromSeconds(options.BreakDurationSeconds);
        _pipeline = new ResiliencePipelineBuilder<ForwardOutcome> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ForwardOutcome>
            {
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = TimeSpan.FromSeconds(options.SamplingDurationSeconds),
                BreakDuration = breakDuration,
                StateProvider = _state,
                ManualControl = _manual,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result.IsFailure(options)),
                OnOpened = args =>
                {
                    // The only manual open is Isolate(), which reports Isolated itself, in order. Polly runs this
                    // callback after releasing its lock, so its report of that open could come after the trial had
                    // already closed the circuit, and mark a healthy destination down for a break.
                    if (!args.IsManual)
                    {
                        Interlocked.Increment(ref _opened);
                        _onChange(CircuitState.Open, breakDuration);
                    }

                    return ValueTask.CompletedTask;
                },
                OnClosed = args =>
                {
                    // The only manual close is the end of an isolation, and the circuit is half-open until its trial
                    // succeeds: that success reports the close (see RunTrialAsync). Polly runs this callback after it
                    // has released its lock, so it may arrive after the trial already failed and isolated again; the
                    // manual flag, not the trial gate, tells the two apart.
                    if (!args.IsManual)
                    {
                        Interlocked.Exchange(ref _consecutiveFailures, 0);
                        _onChange(CircuitState.Closed, TimeSpan.Zero);
                    }

                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    _onChange(CircuitState.HalfOpen, TimeSpan.Zero);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public CircuitBreakerOptions Options { get; }

    /// <summary>The cluster's options this breaker was made from (<see cref="Options"/> may override them per destination).</summary>
    public CircuitBreakerOptions? Source { get; init; }

    /// <summary>The destination's config it was made for (a reload that changes the destination's overrides makes a new one).</summary>
    public Yarp.ReverseProxy.Model.DestinationModel? Destination { get; init; }

    private const int NoTrial = 0;
    private const int TrialWanted = 1;
    private const int TrialOut = 2;

    public CircuitState State => Volatile.Read(ref _trialGate) != NoTrial ? CircuitState.HalfOpen : _state.CircuitState;

    /// <summary>How many times the circuit has opened (ratio or consecutive rule).</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>
    /// Closed, with no trial pending: a try may run outside Polly and be reported afterwards with <see cref="Record"/>.
    /// Otherwise it runs through <see cref="ExecuteAsync"/>, which decides whether it may be sent at all.
    /// </summary>
    public bool IsClosed => State == CircuitState.Closed;

    private static readonly Func<ResilienceContext, ForwardOutcome, ValueTask<Outcome<ForwardOutcome>>> s_recorded =
        static (_, outcome) => ValueTask.FromResult(Outcome.FromResult(outcome));

    /// <summary>
    /// The outcome of a try that ran while the circuit was closed (<see cref="IsClosed"/>), counted as if it had run
    /// inside Polly: Polly's failure ratio through a synchronous execution that only hands it the outcome, and the
    /// consecutive-failures rule. The try itself then needs none of the breaker's async layers (three per request,
    /// measured at ~1.3 us of the gateway's ~25 us a request with the breaker). An outcome that arrives after the
    /// circuit left the closed state is not counted, as Polly refuses a call then; a trial decides a half-open circuit.
    /// </summary>
    public ValueTask Record(ForwardOutcome outcome)
    {
        if (!IsClosed)
        {
            return ValueTask.CompletedTask;
        }

        var context = ResilienceContextPool.Shared.Get();
        var pending = _pipeline.ExecuteOutcomeAsync(s_recorded, context, outcome);
        if (!pending.IsCompletedSuccessfully)
        {
            // Polly awaits its state-change callbacks: this outcome opened the circuit. Awaited by the caller as
            // ExecuteAsync's would be, so the destination is out of rotation before the request goes on.
            return new ValueTask(RecordWhenDoneAsync(pending, context));
        }

        Recorded(pending.Result);
        ResilienceContextPool.Shared.Return(context);
        return ValueTask.CompletedTask;
    }

    private async Task RecordWhenDoneAsync(ValueTask<Outcome<ForwardOutcome>> pending, ResilienceContext context)
    {
        try
        {
            Recorded(await pending);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private void Recorded(Outcome<ForwardOutcome> recorded)
    {
        if (recorded.Exception is null)
        {
            Count(recorded.Result, trial: false); // else Polly refused it: the circuit opened meanwhile
        }
    }

    /// <summary>
    /// Runs one try through the breaker. Returns false without running it when the circuit is open (or
    /// half-open with its trial already out): the request was not sent and can go elsewhere. The try is in Polly's
    /// own shape, so the request path hands it straight to Polly without an async wrapper of its own.
    /// Polly gets no cancellation token: given one that has fired (the request's deadline, or the client gone, before
    /// the try began), Polly answers an OperationCanceledException in place of the try, which escaped as a 500. The try
    /// itself watches the request's token, so the forwarder classifies it as a timeout or a client that left, exactly
    /// as on the path without a breaker.
    /// </summary>
    public async ValueTask<(bool Ran, ForwardOutcome Outcome)> ExecuteAsync<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<ForwardOutcome>>> attempt, TState state)
    {
        if (Volatile.Read(ref _trialGate) != NoTrial)
        {
            return await RunTrialAsync(attempt, state);
        }

        var context = ResilienceContextPool.Shared.Get();
        try
        {
            // Polly lets a call through an open circuit only as the half-open trial.
            var trial = State == CircuitState.Open;
            var outcome = await _pipeline.ExecuteOutcomeAsync(attempt, context, state);
            if (outcome.Exception is BrokenCircuitException)
            {
                return (false, default);
            }

            outcome.ThrowIfException();
            Count(outcome.Result, trial);
            return (true, outcome.Result);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Half-open after an isolation, as after a ratio break: one try goes through and decides (success closes, failure
    /// isolates again); every other try meanwhile is refused unsent, so it goes elsewhere. A trial that says nothing
    /// (the client left, or erred) lets the next try be the trial.
    /// </summary>
    private async ValueTask<(bool Ran, ForwardOutcome Outcome)> RunTrialAsync<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<ForwardOutcome>>> attempt, TState state)
    {
        if (Interlocked.CompareExchange(ref _trialGate, TrialOut, TrialWanted) != TrialWanted)
        {
            return (false, default);
        }

        var context = ResilienceContextPool.Shared.Get();
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(attempt, context, state);
            if (outcome.Exception is BrokenCircuitException)
            {
                Volatile.Write(ref _trialGate, TrialWanted); // Polly had not yet seen the manual close
                return (false, default);
            }

            if (outcome.Exception is not null)
            {
                Volatile.Write(ref _trialGate, TrialWanted);
                outcome.ThrowIfException();
            }

            var result = outcome.Result;
            if (result.Kind is ForwardOutcomeKind.ClientCanceled or ForwardOutcomeKind.ClientError)
            {
                Volatile.Write(ref _trialGate, TrialWanted);
            }
            else if (result.IsFailure(Options))
            {
                Isolate();
            }
            else
            {
                Interlocked.Exchange(ref _consecutiveFailures, 0);
                Volatile.Write(ref _trialGate, NoTrial);
                _onChange(CircuitState.Closed, TimeSpan.Zero);
            }

            return (true, result);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private void Count(ForwardOutcome outcome, bool trial)
    {
        if (Options.ConsecutiveFailures <= 0)
        {
            return;
        }

        if (outcome.Kind is ForwardOutcomeKind.ClientCanceled or ForwardOutcomeKind.ClientError)
        {
            // Polly has no "ignore" outcome: an unhandled one counts as a success, so a trial the client gave up
            // on closes the circuit without the destination having proved anything. Keep it on probation: one
            // more failure opens it again, as after an isolation.
            if (trial)
            {
                Interlocked.Exchange(ref _consecutiveFailures, Options.ConsecutiveFailures - 1);
            }

            return;
        }

        if (!outcome.IsFailure(Options))
        {
            if (Volatile.Read(ref _consecutiveFailures) != 0)
            {
                Interlocked.Exchange(ref _consecutiveFailures, 0); // a write only when there is a streak: the line stays shared
            }

            return;
        }

        if (Interlocked.Increment(ref _consecutiveFailures) == Options.ConsecutiveFailures && State == CircuitState.Closed)
        {
            Isolate();
        }
    }

    /// <summary>N failures in a row: open now, for the break duration; then half-open, where one trial decides.</summary>
    private void Isolate()
    {
        Volatile.Write(ref _trialGate, NoTrial);
        Interlocked.Increment(ref _opened);
        var breakDuration = TimeSpan.FromSeconds(Options.BreakDurationSeconds);
        _ = _manual.IsolateAsync();
        _onChange(CircuitState.Isolated, breakDuration);
        _isolationTimer?.Dispose();
        _isolationTimer = _time.CreateTimer(_ => _ = CloseHalfOpenAsync(), null, breakDuration, Timeout.InfiniteTimeSpan);
    }

    private Task CloseHalfOpenAsync()
    {
        // The gate first: from now on exactly one try is let through Polly's (soon closed) circuit, and Polly's own
        // report of the manual close is not taken for the circuit closing.
        Volatile.Write(ref _trialGate, TrialWanted);
        _onChange(CircuitState.HalfOpen, TimeSpan.Zero);
        return _manual.CloseAsync();
    }
}
