namespace Benchmarks.Load;

/// <summary>One open-loop run: what was offered, what came back, latency from each request's intended send time.</summary>
public sealed record LoadResult(double OfferedRate, long Sent, long Succeeded, long Failed, TimeSpan Elapsed,
    double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double MaxSendLagMs)
{
    /// <summary>
    /// A client that sent a request more than this after its intended time was itself stalled (its thread pool,
    /// a GC, a descheduled process); the latencies then charge the server with the client's wait.
    /// </summary>
    public const double SendLagWarningMs = 50;

    /// <summary>Successful responses per second over the run.</summary>
    public double Throughput => Succeeded / Elapsed.TotalSeconds;
}
