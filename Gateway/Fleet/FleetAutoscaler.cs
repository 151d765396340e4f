using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Fleet;

/// <summary>
/// Every sync period: scrapes each ready worker (/metrics for queue depth and the latency histogram, the
/// process's CPU time), turns them into the three HPA metrics, asks <see cref="HpaController"/> for the replica
/// count, tells the supervisor, and logs the decision with its inputs. With <c>Autoscale.PreScale</c> the
/// decision is held to the pre-scaling minimum for now (<see cref="PreScaler"/>), which learns from the requests the
/// workers' latency histograms counted in each period.
/// </summary>
internal sealed partial class FleetAutoscaler(FleetSupervisor supervisor, TimeProvider time, ILogger<FleetAutoscaler> logger) : BackgroundService
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Dictionary<string, (WorkerMetricsSample Sample, TimeSpan Cpu, long At)> _previous = [];

    public HpaDecision? LastDecision { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = supervisor.Options.Autoscale;
        if (!options.Enabled)
        {
            return;
        }

        var controller = options.CreateController(time);
        var preScaler = options.PreScale is { } preScale ? new PreScaler(preScale, time) : null;
        if (preScaler?.HistoryLoadError is { } error)
        {
            LogHistoryUnreadable(logger, error);
        }

        // The sync period runs from the start, not from the moment the fleet is first ready: a timer made after that
        // wait would start from whenever this method got to it, so a clock moved meanwhile (a test's fake one) would
        // leave its first tick a whole period away. A tick due while the fleet was still starting comes at once after.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.SyncPeriodSeconds), time);
        try
        {
            await supervisor.InitialReady.WaitAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return; // the supervisor reported why
        }

        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var (metrics, requests) = await SampleAsync(options, stoppingToken);
            preScaler?.RecordRequests(requests, TimeSpan.FromSeconds(options.SyncPeriodSeconds));
            var current = supervisor.Target;
            var decision = controller.Decide(current, metrics, preScaler?.Floor());
            if (decision.Desired != current)
            {
                LogScale(logger, decision.Desired > current ? "up" : "down", decision.ToString());
                supervisor.SetTarget(decision.Desired);
            }
            else
            {
                LogHold(logger, decision.ToString());
            }

            LastDecision = decision; // published once applied: whoever sees the decision sees the fleet's target it set
        }
    }

    /// <summary>The HPA metrics, and the requests the ready workers answered since the last sample (the +Inf bucket deltas).</summary>
    private async Task<(List<HpaMetric> Metrics, double Requests)> SampleAsync(AutoscaleOptions options, CancellationToken ct)
    {
        var workers = supervisor.ReadyProcesses();
        var queue = new List<double>();
        var cpu = new List<double>();
        var deltas = new List<IReadOnlyList<(double UpperBound, double Count)>>();
        var now = time.GetTimestamp();
        foreach (var worker in workers)
        {
            WorkerMetricsSample sample;
            try
            {
                sample = WorkerMetricsSample.Parse(await _http.GetStringAsync($"{worker.Address}/metrics", ct));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                continue;
            }

            var cpuTime = worker.CpuTime;
            queue.Add(sample.QueueSize);
            if (_previous.TryGetValue(worker.Id, out var before))
            {
                var seconds = time.GetElapsedTime(before.At, now).TotalSeconds;
                cpu.Add(seconds > 0 ? (cpuTime - before.Cpu).TotalSeconds / seconds * 100 : 0);
                deltas.Add(sample.Delta(before.Sample));
            }

            _previous[worker.Id] = (sample, cpuTime, now);
        }

        var metrics = new List<HpaMetric>();
        if (queue.Count > 0)
        {
            metrics.Add(new HpaMetric("queue_depth", queue.Average(), options.TargetQueueDepth));
        }

        if (cpu.Count > 0)
        {
            metrics.Add(new HpaMetric("cpu_percent", cpu.Average(), options.TargetCpuPercent));
        }

        // p95 over the whole fleet: the workers' bucket deltas added up, as a Prometheus sum by (le) would.
        var merged = deltas.SelectMany(d => d).GroupBy(b => b.UpperBound).OrderBy(g => g.Key)
            .Select(g => (g.Key, g.Sum(b => b.Count))).ToList();
        var p95 = WorkerMetricsSample.Quantile(merged, 0.95);
        if (!double.IsNaN(p95))
        {
            metrics.Add(new HpaMetric("p95_seconds", p95, options.TargetP95Seconds));
        }

        return (metrics, deltas.Sum(d => d.Count == 0 ? 0 : d[^1].Count));
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Autoscaler: scale {Direction}: {Decision}")]
    private static partial void LogScale(ILogger logger, string direction, string decision);

    [LoggerMessage(EventId = 332, Level = LogLevel.Warning, Message = "Autoscaler: the pre-scale history could not be read ({Error}); learning starts afresh.")]
    private static partial void LogHistoryUnreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 331, Level = LogLevel.Debug, Message = "Autoscaler: hold: {Decision}")]
    private static partial void LogHold(ILogger logger, string decision);
}
