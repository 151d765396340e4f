using System.Diagnostics;
using HdrHistogram;

namespace Benchmarks.Load;

/// <summary>
/// Open-loop load at a constant rate, as wrk2 does it: request i is due at start + i / rate whether or not
/// earlier ones have returned, and its latency is measured from that intended time, so time spent queueing
/// behind a slow server (or behind the in-flight cap here) is counted rather than hidden (coordinated omission).
/// Reusable by any harness: the caller supplies how to send request i (true = a successful answer).
/// </summary>
public static class OpenLoopLoad
{
    /// <summary>Open-loop load through an HttpClient; the caller builds request i.</summary>
    public static Task<LoadResult> RunAsync(
        HttpClient client,
        Func<long, HttpRequestMessage> request,
        double rate,
        TimeSpan duration,
        int maxInFlight,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        return RunAsync(
            async (i, ct) =>
            {
                using var message = request(i);
                // ResponseContentRead (the default) has the whole body in before SendAsync returns.
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, ct);
                return response.IsSuccessStatusCode;
            },
            rate, duration, maxInFlight, null, cancellationToken);
    }

    /// <summary>A latency histogram in microseconds, up to two minutes, 3 significant digits.</summary>
    public static LongHistogram NewHistogram() => new(TimeSpan.FromMinutes(2).Ticks / 10, 3);

    /// <summary>
    /// Open-loop load through <paramref name="send"/>. Latencies go into <paramref name="histogram"/> when given
    /// (microseconds; pass the same one to several runs to pool them), and the percentiles come from it.
    /// </summary>
    public static async Task<LoadResult> RunAsync(
        Func<long, CancellationToken, Task<bool>> send,
        double rate,
        TimeSpan duration,
        int maxInFlight,
        LongHistogram? histogram = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(send);
        histogram ??= NewHistogram();
        var inFlight = new SemaphoreSlim(maxInFlight);
        var pending = new List<Task>();
        long succeeded = 0, failed = 0;
        var total = (long)(rate * duration.TotalSeconds);
        var start = Stopwatch.GetTimestamp();
        long i = 0;
        for (; i < total; i++)
        {
            var intended = start + (long)(i * Stopwatch.Frequency / rate);
            if (Stopwatch.GetElapsedTime(start) >= duration)
            {
                break; // above capacity the schedule falls behind: the run is bounded by time, not by count
            }

            var ahead = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), intended);
            if (ahead > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(ahead, cancellationToken); // coarse sleep; due requests then go out in a burst
            }

            await inFlight.WaitAsync(cancellationToken);
            pending.Add(SendAsync(i, intended));
            if ((i & 1023) == 0)
            {
                pending.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(pending);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new LoadResult(rate, i, succeeded, failed, elapsed,
            Ms(50), Ms(90), Ms(99), Ms(99.9), histogram.GetMaxValue() / 1000.0);

        double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;

        async Task SendAsync(long index, long intendedAt)
        {
            try
            {
                var ok = await send(index, cancellationToken);
                Interlocked.Increment(ref ok ? ref succeeded : ref failed);
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                inFlight.Release();
                var micros = (long)Stopwatch.GetElapsedTime(intendedAt).TotalMicroseconds;
                lock (histogram)
                {
                    histogram.RecordValue(Math.Max(1, micros));
                }
            }
        }
    }
}
