using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>What happened to one request of an open-loop run; times in ms on the run's clock.</summary>
public sealed record LoadOutcome(int Index, double ScheduledMs, double SentMs, double DoneMs, int Status, string? Error, string? ContentType)
{
    public double LatencyMs => DoneMs - SentMs;

    public bool Ok => Status is >= 200 and < 300;
}

/// <summary>The outcomes of a run, with the counts the fault tests assert on.</summary>
public sealed class LoadRun(IReadOnlyList<LoadOutcome> outcomes, double durationMs)
{
    public IReadOnlyList<LoadOutcome> Outcomes { get; } = outcomes;

    public double DurationMs { get; } = durationMs;

    public int Sent => Outcomes.Count;

    public int Errors => Outcomes.Count(o => !o.Ok);

    public double Rate => Sent / (DurationMs / 1000);

    /// <summary>How late the driver sent requests compared with its schedule (a check on the driver itself).</summary>
    public double MaxSendLagMs => Outcomes.Max(o => o.SentMs - o.ScheduledMs);

    public double LatencyPercentileMs(double p)
    {
        var sorted = Outcomes.Select(o => o.LatencyMs).Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
    }

    public string Summary() =>
        $"sent {Sent} in {DurationMs / 1000:F1} s ({Rate:F0}/s, max send lag {MaxSendLagMs:F1} ms), errors {Errors} "
        + $"[{string.Join(", ", Outcomes.Where(o => !o.Ok).GroupBy(o => o.Error ?? o.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Select(g => $"{g.Key} x{g.Count()}"))}], "
        + $"latency p50 {LatencyPercentileMs(50):F1} ms p99 {LatencyPercentileMs(99):F1} ms max {LatencyPercentileMs(100):F1} ms";
}

/// <summary>
/// An open-loop load generator: request i is due at start + i / rate whatever happened to the earlier ones
/// (a closed loop would slow down exactly when the gateway struggles and hide the failure). Each request has
/// its own deadline; every outcome is recorded with its scheduled, sent and done times.
/// </summary>
public static class OpenLoopDriver
{
    public static async Task<LoadRun> RunAsync(Uri baseAddress, Func<HttpRequestMessage> makeRequest, double ratePerSecond, TimeSpan duration,
        TimeSpan deadline, Stopwatch clock)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = int.MaxValue };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var total = (int)(ratePerSecond * duration.TotalSeconds);
        var interval = 1000 / ratePerSecond;
        var outcomes = new LoadOutcome[total];
        var inFlight = new List<Task>(total);
        var startMs = clock.Elapsed.TotalMilliseconds;
        var next = 0;
        while (next < total)
        {
            var now = clock.Elapsed.TotalMilliseconds;
            for (; next < total && startMs + (next * interval) <= now; next++)
            {
                var index = next;
                var due = startMs + (index * interval);
                inFlight.Add(Task.Run(async () => outcomes[index] = await SendAsync(client, makeRequest, index, due, deadline, clock)));
            }

            // About 1 ms of timer resolution: requests go out at most a tick late, in small bursts, never skipped.
            await Task.Delay(1);
        }

        await Task.WhenAll(inFlight);
        return new LoadRun(outcomes, total * interval);
    }

    private static async Task<LoadOutcome> SendAsync(HttpClient client, Func<HttpRequestMessage> makeRequest, int index, double dueMs,
        TimeSpan deadline, Stopwatch clock)
    {
        using var cts = new CancellationTokenSource(deadline);
        var sent = clock.Elapsed.TotalMilliseconds;
        try
        {
            using var request = makeRequest();
            using var response = await client.SendAsync(request, cts.Token);
            _ = await response.Content.ReadAsByteArrayAsync(cts.Token);
            return new LoadOutcome(index, dueMs, sent, clock.Elapsed.TotalMilliseconds, (int)response.StatusCode, null,
                response.Content.Headers.ContentType?.MediaType);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return new LoadOutcome(index, dueMs, sent, clock.Elapsed.TotalMilliseconds, 0, "deadline", null);
        }
        catch (HttpRequestException ex)
        {
            return new LoadOutcome(index, dueMs, sent, clock.Elapsed.TotalMilliseconds, 0, ex.HttpRequestError.ToString(), null);
        }
    }
}
