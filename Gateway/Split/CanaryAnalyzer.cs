using Gateway.Admin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Split;

/// <summary>
/// Runs the canary analysis of every split that has one: starts it at the first step, and every IntervalSeconds
/// compares the window's canary and stable numbers (<see cref="CanaryJudge"/>) to promote, hold or roll back. Each
/// decision is logged, counted (<see cref="SplitMetrics"/>), added to the status page's events and kept in the run
/// /status shows. Counters are read only when a window closes, off the request path.
/// </summary>
internal sealed partial class CanaryAnalyzer(TrafficSplits splits, Func<CancellationToken, Task<CounterSnapshot>> readCounters,
    SplitMetrics metrics, OpsEventLog events, TimeProvider time, ILogger<CanaryAnalyzer> logger) : BackgroundService
{
    public static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<string, (long RunId, CounterSnapshot Counters, DateTimeOffset At)> _windows = new(StringComparer.OrdinalIgnoreCase);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TickPeriod, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await EvaluateAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A hosted service that throws stops its host: the split keeps its weights until the next window.
                LogFailed(logger, ex);
            }
        }
    }

    /// <summary>Starts new runs and decides every run whose window has closed (the timer calls this; tests too).</summary>
    internal async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var starting = new List<RouteSplit>();
        var due = new List<RouteSplit>();
        foreach (var split in splits.All)
        {
            if (split.Options.Analysis is not { } analysis)
            {
                continue;
            }

            var run = splits.Runs.GetValueOrDefault(split.RouteId);
            if (run is null || run.RunId != split.RunId)
            {
                starting.Add(split);
            }
            else if (run.Phase == CanaryPhases.Running && _windows.TryGetValue(split.RouteId, out var window)
                && now - window.At >= TimeSpan.FromSeconds(analysis.IntervalSeconds))
            {
                due.Add(split);
            }
        }

        foreach (var route in _windows.Keys.Where(r => splits.Find(r)?.Options.Analysis is null).ToList())
        {
            _windows.Remove(route);
            splits.Runs.TryRemove(route, out _);
        }

        if (starting.Count == 0 && due.Count == 0)
        {
            return;
        }

        var counters = await readCounters(cancellationToken);
        foreach (var split in starting)
        {
            Start(split, counters, now);
        }

        foreach (var split in due)
        {
            Decide(split, counters, now);
        }
    }

    private void Start(RouteSplit split, CounterSnapshot counters, DateTimeOffset now)
    {
        var analysis = split.Options.Analysis!;
        var percent = analysis.Steps[0];
        var run = new CanaryRun(split.RunId, analysis.Stable, analysis.Canary, CanaryPhases.Running, 0, percent, []);
        Apply(split, run, new CanaryDecision(now, CanaryPhases.Start, percent,
            $"canary analysis of {analysis.Canary} against {analysis.Stable} started, {analysis.IntervalSeconds} s windows", null, null),
            CanaryPhases.Running, 0);
        _windows[split.RouteId] = (split.RunId, counters, now);
    }

    private void Decide(RouteSplit split, CounterSnapshot counters, DateTimeOffset now)
    {
        var analysis = split.Options.Analysis!;
        var run = splits.Runs[split.RouteId];
        var window = _windows[split.RouteId];
        var stable = counters.Window(analysis.Stable, window.Counters);
        var canary = counters.Window(analysis.Canary, window.Counters);
        var (decision, reason) = CanaryJudge.Judge(analysis, stable, canary);
        var (phase, step) = decision switch
        {
            CanaryPhases.Rollback => (CanaryPhases.RolledBack, run.Step),
            CanaryPhases.Promote when run.Step + 1 >= analysis.Steps.Count - 1 => (CanaryPhases.Promoted, analysis.Steps.Count - 1),
            CanaryPhases.Promote => (CanaryPhases.Running, run.Step + 1),
            _ => (CanaryPhases.Running, run.Step),
        };
        var percent = decision == CanaryPhases.Rollback ? 0 : analysis.Steps[step];
        Apply(split, run, new CanaryDecision(now, decision, percent, reason, stable, canary), phase, step);
        _windows[split.RouteId] = (split.RunId, counters, now);
    }

    private void Apply(RouteSplit split, CanaryRun run, CanaryDecision decision, string phase, int step)
    {
        var analysis = split.Options.Analysis!;
        if (decision.Decision != CanaryPhases.Hold)
        {
            var weights = new Dictionary<string, int>(split.Options.Weights, StringComparer.OrdinalIgnoreCase)
            {
                [analysis.Canary] = decision.CanaryPercent,
                [analysis.Stable] = 100 - decision.CanaryPercent,
            };
            if (splits.Step(split.RouteId, split.RunId, weights) is null)
            {
                return; // the API or a reload replaced the run meanwhile; the next evaluation starts the new one
            }
        }

        splits.Runs[split.RouteId] = run.With(decision, phase, step, decision.CanaryPercent);
        metrics.RecordDecision(split.RouteId, decision.Decision);
        LogDecision(logger, split.RouteId, decision.Decision, analysis.Canary, decision.CanaryPercent, decision.Reason);
        if (decision.Decision != CanaryPhases.Hold)
        {
            events.Add(decision.Decision == CanaryPhases.Rollback ? OpsEventKinds.CanaryRollback : OpsEventKinds.Canary,
                $"route {split.RouteId}", decision.ToString());
        }
    }

    [LoggerMessage(EventId = 540, Level = LogLevel.Information,
        Message = "Canary on route {Route}: {Decision}, {Canary} now gets {Percent}%: {Reason}.")]
    private static partial void LogDecision(ILogger logger, string route, string decision, string canary, int percent, string reason);

    [LoggerMessage(EventId = 541, Level = LogLevel.Warning, Message = "Canary analysis: reading the counters failed; trying again shortly.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
