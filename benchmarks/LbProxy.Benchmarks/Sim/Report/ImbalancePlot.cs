using Benchmarks.Sim.Engine;
using ScottPlot;

namespace Benchmarks.Sim.Report;

/// <summary>Max over mean in-flight across healthy destinations over time, one line per policy (a moving average
/// of 10 samples, so the shape shows through the noise of single instants).</summary>
public static class ImbalancePlot
{
    public static void Save(IReadOnlyList<SimResult> results, string title, string path)
    {
        var plot = new Plot();
        for (var p = 0; p < results.Count; p++)
        {
            var samples = results[p].Imbalance.Where(s => s.Mean > 0).ToArray();
            if (samples.Length == 0)
            {
                continue;
            }

            var xs = new double[samples.Length];
            var ys = new double[samples.Length];
            for (var i = 0; i < samples.Length; i++)
            {
                var from = Math.Max(0, i - 9);
                xs[i] = samples[i].At;
                ys[i] = samples[from..(i + 1)].Average(s => s.Max / s.Mean);
            }

            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{results[p].Policy} (mean {results[p].PeakImbalance:0.00})";
            line.Color = SimPalette.Of(p);
            line.LineWidth = 1.5f;
        }

        var ideal = plot.Add.HorizontalLine(1);
        ideal.Color = Colors.Black.WithAlpha(0.4);
        ideal.LinePattern = LinePattern.Dotted;
        plot.Title($"{title}: load imbalance, max / mean in-flight across destinations (1 = even)");
        plot.XLabel("time, s");
        plot.YLabel("max / mean in-flight");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1200, 600);
    }
}
