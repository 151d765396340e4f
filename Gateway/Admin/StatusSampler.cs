using System.Collections.Concurrent;
using Gateway.Fleet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Admin;

/// <summary>
/// Once a second, off the request path: reads every destination's statistics record (the one the policies read)
/// and the exporter's latency histogram into a short history per destination, and keeps the autoscaler's recent
/// decisions. A destination that leaves its cluster (a worker that died, a reload that dropped it) stays listed,
/// marked gone, for <see cref="GoneKeepSeconds"/>.
/// </summary>
internal sealed partial class StatusSampler(GatewayStateReader state, TimeProvider time, Func<CancellationToken, Task<string>> scrapeMetrics,
    ILogger<StatusSampler> logger, FleetAutoscaler? autoscaler = null) : BackgroundService
{
    public const int HistorySeconds = 180;
    public const int P95WindowSeconds = 5;
    public const int GoneKeepSeconds = 60;
    public const int DecisionsKept = 10;

    private readonly ConcurrentDictionary<(string Cluster, string Destination), DestinationHistory> _histories = new();
    private readonly Queue<(DateTimeOffset At, HpaDecision Decision)> _decisions = new();
    private readonly Lock _decisionsLock = new();
    private HpaDecision? _lastDecision;

    public IReadOnlyDictionary<(string Cluster, string Destination), DestinationHistory> Histories => _histories;

    public IReadOnlyList<(DateTimeOffset At, HpaDecision Decision)> Decisions()
    {
        lock (_decisionsLock)
        {
            return [.. _decisions];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        do
        {
            try
            {
                await SampleAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A hosted service that throws stops its host: a page's history is not worth the admin port.
                LogSampleFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Status page: sampling the destinations failed; trying again in 1 s.")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);

    internal async Task SampleAsync(CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await scrapeMetrics(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            text = ""; // no p95 this second; rates still come from the records
        }

        var buckets = DurationBuckets.Parse(text);
        var at = time.GetUtcNow();
        var stamp = time.GetTimestamp();
        var seen = new HashSet<(string, string)>();
        foreach (var view in state.Destinations())
        {
            var key = (view.ClusterId, view.Destination.DestinationId);
            seen.Add(key);
            _histories.GetOrAdd(key, static _ => new DestinationHistory(HistorySeconds, P95WindowSeconds))
                .Record(view, at, stamp, time, buckets.GetValueOrDefault(key));
        }

        foreach (var (key, history) in _histories)
        {
            if (seen.Contains(key))
            {
                continue;
            }

            history.MarkGone(at);
            if (at - history.GoneAt > TimeSpan.FromSeconds(GoneKeepSeconds))
            {
                _histories.TryRemove(key, out _);
            }
        }

        if (autoscaler?.LastDecision is { } decision && !ReferenceEquals(decision, _lastDecision))
        {
            _lastDecision = decision;
            lock (_decisionsLock)
            {
                if (_decisions.Count == DecisionsKept)
                {
                    _decisions.Dequeue();
                }

                _decisions.Enqueue((at, decision));
            }
        }
    }
}
