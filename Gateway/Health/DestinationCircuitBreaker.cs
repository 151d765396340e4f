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
    private int _probation; // 1 while an isolation ends: the circuit closes with one failure to go
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
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result.IsFailure(options.FailureStatusCodes)),
                OnOpened = args =>
                {
                    if (!args.IsManual)
                    {
                        Interlocked.Increment(ref _opened);
                    }

                    _onChange(CircuitState.Open, breakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    // Set before the change is reported, so whoever is told "closed" also sees the streak it starts with
                    // (a manual close, the end of an isolation, set it before closing: see CloseHalfOpenAsync).
                    Interlocked.Exchange(ref _consecutiveFailures, Interlocked.Exchange(ref _probation, 0) == 1 ? options.ConsecutiveFailures - 1 : 0);
                    _onChange(CircuitState.Closed, TimeSpan.Zero);
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

    public CircuitState State => _state.CircuitState;

    /// <summary>How many times the circuit has opened (ratio or consecutive rule).</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>
    /// Runs one try through the breaker. Returns false without running it when the circuit is open (or
    /// half-open with its trial already out): the request was not sent and can go elsewhere. The try is in Polly's
    /// own shape, so the request path hands it straight to Polly without an async wrapper of its own.
    /// </summary>
    public async ValueTask<(bool Ran, ForwardOutcome Outcome)> ExecuteAsync<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<ForwardOutcome>>> attempt, TState state, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
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

    private void Count(ForwardOutcome outcome, bool trial)
    {
        if (Options.ConsecutiveFailures <= 0)
        {
            return;
        }

        if (outcome.Kind == ForwardOutcomeKind.ClientCanceled)
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

        if (!outcome.IsFailure(Options.FailureStatusCodes))
        {
            Interlocked.Exchange(ref _consecutiveFailures, 0);
            return;
        }

        if (Interlocked.Increment(ref _consecutiveFailures) == Options.ConsecutiveFailures && State == CircuitState.Closed)
        {
            Isolate();
        }
    }

    /// <summary>N failures in a row: open now, for the break duration; then one more failure opens it again (half-open).</summary>
    private void Isolate()
    {
        Interlocked.Increment(ref _opened);
        var breakDuration = TimeSpan.FromSeconds(Options.BreakDurationSeconds);
        _ = _manual.IsolateAsync();
        _onChange(CircuitState.Isolated, breakDuration);
        _isolationTimer?.Dispose();
        _isolationTimer = _time.CreateTimer(_ => _ = CloseHalfOpenAsync(), null, breakDuration, Timeout.InfiniteTimeSpan);
    }

    private Task CloseHalfOpenAsync()
    {
        // Polly reports a manual close from its own executor thread after the state already reads Closed; set the
        // probation streak first, so a try finishing in between is counted against it.
        Interlocked.Exchange(ref _probation, 1);
        if (Options.ConsecutiveFailures > 0)
        {
            Interlocked.Exchange(ref _consecutiveFailures, Options.ConsecutiveFailures - 1);
        }

        return _manual.CloseAsync();
    }
}
