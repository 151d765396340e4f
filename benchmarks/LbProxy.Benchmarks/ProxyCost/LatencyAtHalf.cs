using System.Text;
using Benchmarks.Load;
using HdrHistogram;

namespace Benchmarks.ProxyCost;

/// <summary>
/// Latency a proxy adds when it is not saturated: open-loop GETs (the project's wrk2-style generator, since Debian has
/// no wrk2) at half of the proxy's own measured capacity, then the same rate straight at the backend, back to back, so
/// "added" is the proxy's latency minus the backend's at the same moment and rate.
/// </summary>
internal static class LatencyAtHalf
{
    /// <param name="tracePath">Where to write every request's send time and latency (<see cref="LatencyTrace"/>), if anywhere.</param>
    /// <param name="pooled">Where this run's latencies are added too (one histogram for all rounds of a target), if anywhere.</param>
    public static async Task<LoadResult> MeasureAsync(string url, double rate, TimeSpan duration, int maxInFlight, string? tracePath = null,
        LongHistogram? pooled = null)
    {
        var uri = new Uri(url);
        using var client = new RawHttpClient(uri);
        var request = Encoding.ASCII.GetBytes($"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {client.Host}\r\n\r\n");
        // A short warm-up at the same rate opens the connections and lets the proxy's JIT settle.
        await OpenLoopLoad.RunAsync((_, ct) => client.SendAsync(request, ct), rate, TimeSpan.FromSeconds(1), maxInFlight);
        var trace = tracePath is null ? null : new LatencyTrace((long)(rate * duration.TotalSeconds) + 1);
        var histogram = OpenLoopLoad.NewHistogram();
        var result = await OpenLoopLoad.RunAsync((_, ct) => client.SendAsync(request, ct), rate, duration, maxInFlight, histogram, trace);
        trace?.Write(tracePath!);
        pooled?.Add(histogram);
        return result;
    }
}
