using System.Diagnostics;
using HdrHistogram;

namespace Benchmarks.Load;

/// <summary>
/// Open-loop load at a constant rate, as wrk2 does it: request i is due at start + i / rate whether or not
/// earlier ones have returned, and its latency is measured from that intended time, so time spent queueing
/// behind a slow server (or behind the in-flight cap here) is counted rather than hidden (coordinated omission).
/// Reusable by any harness: the caller supplies the HttpClient and how to build request i.
/// </summary>
public static class OpenLoopLoad
{
    public static async Task<LoadResult> RunAsync(
        HttpClient client,
        Func<long, HttpRequestMessage> request,
        double rate,
        TimeSpan duration,
        int maxInFlight,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        var histogram = new LongHistogram(TimeSpan.FromMinutes(2).Ticks / 10, 3); // microseconds
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
                progress?.Report(i);
                pending.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(pending);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new LoadResult(rate, i, succeeded, failed, elapsed,
            histogram.GetValueAtPercentile(50) / 1000.0, histogram.GetValueAtPercentile(99) / 1000.0, histogram.GetMaxValue() / 1000.0);

        async Task SendAsync(long index, long intendedAt)
        {
            try
            {
                using var message = request(index);
                using var response = await client.SendAsync(message, cancellationToken);
                await response.Content.ReadAsByteArrayAsync(cancellationToken);
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref succeeded : ref failed);
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
