using Gateway.Fleet;

namespace Gateway.Admin;

/// <summary>
/// The last <see cref="StatusSampler.HistorySeconds"/> seconds of one destination, sampled once a second off the
/// request path from its statistics record (counters) and the exporter's latency histogram (bucket counts).
/// Written by the sampler, read by the page; one lock per destination, taken once a second and per page poll.
/// </summary>
internal sealed class DestinationHistory(int capacity, int p95WindowSeconds)
{
    private readonly Queue<HistorySample> _samples = new(capacity);
    private readonly Queue<IReadOnlyList<(double UpperBound, double Count)>> _buckets = new(p95WindowSeconds + 1);
    private readonly Lock _lock = new();
    private long _requests = -1;
    private long _failures;
    private long _stamp;

    /// <summary>When the destination left its cluster (null while it is in one).</summary>
    public DateTimeOffset? GoneAt { get; private set; }

    /// <summary>What the page last knew of it, shown after it is gone.</summary>
    public DestinationView? Last { get; private set; }

    public void Record(DestinationView view, DateTimeOffset at, long timestamp, TimeProvider time,
        IReadOnlyList<(double UpperBound, double Count)>? cumulativeBuckets)
    {
        lock (_lock)
        {
            GoneAt = null;
            Last = view;
            var requests = view.Stats.Requests;
            var failures = view.Stats.Failures;
            if (_buckets.Count == p95WindowSeconds + 1)
            {
                _buckets.Dequeue();
            }

            _buckets.Enqueue(cumulativeBuckets ?? []);
            if (_requests >= 0)
            {
                var seconds = time.GetElapsedTime(_stamp, timestamp).TotalSeconds;
                var done = Math.Max(0, requests - _requests);
                var failed = Math.Max(0, failures - _failures);
                var p95 = WorkerMetricsSample.Quantile(Delta(_buckets.Peek(), cumulativeBuckets ?? []), 0.95);
                if (_samples.Count == capacity)
                {
                    _samples.Dequeue();
                }

                _samples.Enqueue(new HistorySample(at, seconds > 0 ? done / seconds : 0, done > 0 ? (double)failed / done : double.NaN, p95,
                    view.Stats.InFlight));
            }

            (_requests, _failures, _stamp) = (requests, failures, timestamp);
        }
    }

    public void MarkGone(DateTimeOffset at)
    {
        lock (_lock)
        {
            GoneAt ??= at;
        }
    }

    public HistorySample[] Samples()
    {
        lock (_lock)
        {
            return [.. _samples];
        }
    }

    /// <summary>Bucket counts between two cumulative readings (a destination whose series restarted counts from zero).</summary>
    private static List<(double UpperBound, double Count)> Delta(IReadOnlyList<(double UpperBound, double Count)> earlier,
        IReadOnlyList<(double UpperBound, double Count)> later) =>
        later.Select(b =>
        {
            var before = earlier.FirstOrDefault(e => e.UpperBound == b.UpperBound).Count;
            return (b.UpperBound, b.Count >= before ? b.Count - before : b.Count);
        }).ToList();
}
