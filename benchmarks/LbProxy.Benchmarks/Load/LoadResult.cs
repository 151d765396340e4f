namespace Benchmarks.Load;

/// <summary>One open-loop run: what was offered, what came back, latency from each request's intended send time.</summary>
public sealed record LoadResult(double OfferedRate, long Sent, long Succeeded, long Failed, TimeSpan Elapsed,
    double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    /// <summary>Successful responses per second over the run.</summary>
    public double Throughput => Succeeded / Elapsed.TotalSeconds;
}
