using System.Diagnostics;
using HdrHistogram;

namespace Benchmarks.Load;

/// <summary>
/// Open-loop load at a constant rate, as wrk2 does it: request i is due at start + i / rate whether or not
/// earlier ones have returned, and its latency is measured from that intended time (or from its actual send when
/// that was earlier), so time spent queueing behind a slow server (or behind the in-flight cap here) is counted
/// rather than hidden (coordinated omission).
/// Reusable by any harness: the caller supplies how to send request i (true = a successful answer).
/// </summary>
public static class OpenLoopLoad
{
    // A request goes out when it is due within this, rather than after a sleep shorter than the timer's resolution.
    private static readonly TimeSpan Early = TimeSpan.FromMilliseconds(1);

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
            rate, duration, maxInFlight, null, null, cancellationToken);
    }

    /// <summary>A latency histogram in microseconds, up to two minutes, 3 significant digits.</summary>
    public static LongHistogram NewHistogram() => new(TimeSpan.FromMinutes(2).Ticks / 10, 3);

    /// <summary>A percentile of such a histogram, in milliseconds.</summary>
    public static double PercentileMs(LongHistogram histogram, double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;

    /// <summary>
    /// Open-loop load through <paramref name="send"/>. Latencies go into <paramref name="histogram"/> when given
    /// (microseconds; pass the same one to several runs to pool them), and the percentiles come from it.
    /// </summary>
    /// <remarks>
    /// One loop paces the schedule (a coarse sleep, then the due requests in a burst) and starts a request whenever
    /// one of <paramref name="maxInFlight"/> slots is free. A request that completes when the next one is already due
    /// sends that one itself and keeps its slot, as wrk's event loop does, instead of handing the slot back to the
    /// pacing loop: at saturation that hand-off was a thread-pool hop per request, about as much client CPU as
    /// its socket calls.
    /// </remarks>
    public static async Task<LoadResult> RunAsync(
        Func<long, CancellationToken, Task<bool>> send,
        double rate,
        TimeSpan duration,
        int maxInFlight,
        LongHistogram? histogram = null,
        LatencyTrace? trace = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(send);
        histogram ??= NewHistogram();
        var slots = new SemaphoreSlim(maxInFlight);
        var pending = new List<Task>();
        long succeeded = 0, failed = 0, next = -1, started = 0, maxLag = 0;
        var total = (long)(rate * duration.TotalSeconds);
        var start = Stopwatch.GetTimestamp();
        trace?.Start(start);
        while (Stopwatch.GetElapsedTime(start) < duration) // above capacity the schedule falls behind: bounded by time
        {
            await slots.WaitAsync(cancellationToken);
            var index = Interlocked.Increment(ref next);
            if (index >= total || Stopwatch.GetElapsedTime(start) >= duration)
            {
                if (index < total)
                {
                    RecordLag(Intended(index)); // the schedule ran out of time with this request still unsent
                }

                slots.Release();
                break;
            }

            var ahead = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Intended(index));
            if (ahead > Early)
            {
                await Task.Delay(ahead, cancellationToken); // coarse sleep; due requests then go out in a burst
            }

            pending.Add(RunSlotAsync(index));
            if ((++started & 1023) == 0)
            {
                pending.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(pending);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new LoadResult(rate, succeeded + failed, succeeded, failed, elapsed,
            Ms(50), Ms(90), Ms(99), Ms(99.9), histogram.GetMaxValue() / 1000.0,
            Stopwatch.GetElapsedTime(0, Interlocked.Read(ref maxLag)).TotalMilliseconds);

        double Ms(double percentile) => PercentileMs(histogram, percentile);

        long Intended(long index) => start + (long)(index * Stopwatch.Frequency / rate);

        // Sends the request it was given, then, while the schedule's next request is already due, that one too.
        async Task RunSlotAsync(long index)
        {
            try
            {
                do
                {
                    await SendAsync(index, Intended(index));
                }
                while (TryTakeDue(out index));
            }
            finally
            {
                slots.Release();
            }
        }

        // Takes the next request of the schedule only once its intended time has passed (the pacing loop alone
        // sends up to Early ahead, because it cannot sleep for less).
        bool TryTakeDue(out long index)
        {
            while (true)
            {
                var current = Volatile.Read(ref next);
                index = current + 1;
                if (index >= total || Stopwatch.GetElapsedTime(start) >= duration
                    || Stopwatch.GetTimestamp() < Intended(index))
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref next, index, current) == current)
                {
                    return true;
                }
            }
        }

        // How late the client is with the request due at intendedAt (the largest is the run's MaxSendLagMs); returns now.
        long RecordLag(long intendedAt)
        {
            var now = Stopwatch.GetTimestamp();
            long seen;
            while (now - intendedAt > (seen = Volatile.Read(ref maxLag))
                && Interlocked.CompareExchange(ref maxLag, now - intendedAt, seen) != seen)
            {
            }

            return now;
        }

        // Latency runs from the intended time, so a request the client could not send on time is charged with the
        // wait; one sent up to Early before it (a burst after a coarse sleep) is timed from its actual send, so
        // it is not credited with the difference.
        async Task SendAsync(long index, long intendedAt)
        {
            var from = Math.Min(intendedAt, RecordLag(intendedAt));
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
                var micros = (long)Stopwatch.GetElapsedTime(from).TotalMicroseconds;
                trace?.Record(from, micros);
                lock (histogram)
                {
                    histogram.RecordValue(Math.Max(1, micros));
                }
            }
        }
    }
}
