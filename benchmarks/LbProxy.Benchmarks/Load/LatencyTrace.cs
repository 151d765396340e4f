using System.Diagnostics;
using System.Globalization;

namespace Benchmarks.Load;

/// <summary>
/// Every request of one open-loop run: when its latency started (its intended send time, or its actual send when that
/// was earlier; from the run's start) and how long it took, both in microseconds. For finding out whether a tail is a
/// few stalls (slow requests bunched in time: a pause, a preempted thread) or spread out (queueing), and when a stall
/// happened, to set it beside <c>perf sched</c> or GC events.
/// </summary>
public sealed class LatencyTrace(long capacity)
{
    private readonly long[] _sentAt = new long[capacity];
    private readonly long[] _micros = new long[capacity];
    private long _count;
    private long _start;

    public void Start(long timestamp) => _start = timestamp;

    public void Record(long sentAt, long micros)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _sentAt.Length)
        {
            _sentAt[i] = (long)Stopwatch.GetElapsedTime(_start, sentAt).TotalMicroseconds;
            _micros[i] = micros;
        }
    }

    /// <summary>sent_us,latency_us per request, in the order they were sent.</summary>
    public void Write(string path)
    {
        var n = (int)Math.Min(Interlocked.Read(ref _count), _sentAt.Length);
        var order = Enumerable.Range(0, n).OrderBy(i => _sentAt[i]);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllLines(path, ["sent_us,latency_us", .. order.Select(i => string.Create(CultureInfo.InvariantCulture, $"{_sentAt[i]},{_micros[i]}"))]);
    }
}
