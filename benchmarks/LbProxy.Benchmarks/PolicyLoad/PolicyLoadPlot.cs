using Benchmarks.Load;
using HdrHistogram;
using ScottPlot;

namespace Benchmarks.PolicyLoad;

/// <summary>Latency CDF per balancer (log time axis) from the open-loop histograms.</summary>
internal static class PolicyLoadPlot
{
    private static readonly double[] s_percentiles = [.. Enumerable.Range(0, 200).Select(i => 100 * (1 - Math.Pow(10, -4.0 * i / 199)))];

    public static void Save(IReadOnlyList<(string Name, LongHistogram Histogram)> runs, string scenario, string path)
    {
        var plot = new Plot();
        foreach (var (name, histogram) in runs)
        {
            var xs = s_percentiles.Select(p => Math.Log10(Math.Max(0.01, OpenLoopLoad.PercentileMs(histogram, p)))).ToArray();
            var line = plot.Add.ScatterLine(xs, s_percentiles);
            line.LegendText = name;
            line.LineWidth = name.StartsWith("gateway Adaptive", StringComparison.Ordinal) ? 3 : 1.5f;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => $"{Math.Pow(10, v):0.#}" };
        plot.XLabel("latency from intended send time, ms (log)");
        plot.YLabel("percent of requests at or below");
        plot.Title($"Latency CDF per balancer ({scenario})");
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 1100, 700);
    }
}
