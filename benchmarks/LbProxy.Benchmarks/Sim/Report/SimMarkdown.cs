using System.Globalization;
using System.Text;
using Benchmarks.Sim.Engine;
using Benchmarks.Sim.Scenario;

namespace Benchmarks.Sim.Report;

/// <summary>The markdown a run writes: the command, the scenario in one paragraph, one row per policy.</summary>
public static class SimMarkdown
{
    public static string Render(SimScenario scenario, IReadOnlyList<SimResult> results, string command, IReadOnlyList<string> plots)
    {
        var md = new StringBuilder();
        Line(md, $"# Simulation: {scenario.Name}");
        Line(md, "");
        Line(md, scenario.Description);
        Line(md, "");
        Line(md, "```");
        Line(md, command);
        Line(md, "```");
        Line(md, "");
        Line(md, $"Seed {results[0].Seed}; {results[0].Requests:N0} requests over {scenario.Duration:0.##} s; client timeout {scenario.Timeout:0.###} s " +
            $"({scenario.TimeoutKind} timeout); health checks notice a change after {scenario.HealthCheckDelay:0.##} s. " +
            "Latencies are client-observed; a timed-out request counts as the timeout. The numbers are deterministic for a seed; only wall time varies.");
        Line(md, "");
        Line(md, "| policy | p50 ms | p90 ms | p99 ms | p99.9 ms | mean queue wait ms | within timeout | errors | timed out | in-flight max/mean (time avg) | in-flight max/mean (instant) | key moved | keys remapped per change | wall s |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var remap = r.KeyRemaps.Count == 0 ? "—" : $"{r.KeyRemaps.Average(k => k.Moved):P2} (min {r.KeyRemaps.Average(k => k.Minimum):P2})";
            var moved = double.IsNaN(r.KeyMoved) ? "—" : $"{r.KeyMoved:P2}";
            Line(md, $"| {r.Policy} | {Ms(r.Percentile(50))} | {Ms(r.Percentile(90))} | {Ms(r.Percentile(99))} | {Ms(r.Percentile(99.9))} | {Ms(r.MeanWait)} | " +
                $"{r.WithinTimeoutShare:P3} | {r.Errors:N0} | {r.TimedOut:N0} | {r.AverageImbalance:0.000} | {r.PeakImbalance:0.00} | {moved} | {remap} | {r.WallTime.TotalSeconds:0.0} |");
        }

        Line(md, "");
        Line(md, "- *in-flight max/mean (time avg)*: each destination's gateway in-flight count averaged over the time it was a member; the largest over the mean. " +
            "*(instant)*: max over mean across healthy destinations, sampled 1,000 times, averaged.");
        Line(md, "- *key moved*: share of keyed requests sent elsewhere than the previous request with the same key. " +
            "*keys remapped per change*: share of a fixed key sample whose ring owner changed at each membership or health change (min = keys whose owner left or that the newcomer took).");
        if (!string.IsNullOrEmpty(scenario.Reference))
        {
            Line(md, "");
            Line(md, $"Reference: {scenario.Reference}");
        }

        Line(md, "");
        foreach (var plot in plots)
        {
            Line(md, $"![{Path.GetFileNameWithoutExtension(plot)}]({Path.GetFileName(plot)})");
        }

        return md.ToString();
    }

    private static string Ms(double seconds) => (seconds * 1000).ToString(seconds < 0.01 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder md, FormattableString text) => md.Append(FormattableString.Invariant(text)).Append('\n');

    private static void Line(StringBuilder md, string text) => md.Append(text).Append('\n');
}
