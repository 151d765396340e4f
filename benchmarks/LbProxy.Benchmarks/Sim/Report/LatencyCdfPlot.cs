using System.Globalization;
using Benchmarks.Sim.Engine;
using ScottPlot;

namespace Benchmarks.Sim.Report;

/// <summary>
/// Latency by percentile, HdrHistogram style: the x axis is -log10(1 - q), so 90%, 99%, 99.9% and 99.99% are equally
/// spaced and the tail gets the room; latency on a log axis so a 2 ms median and a 1 s timeout both read.
/// </summary>
public static class LatencyCdfPlot
{
    public static void Save(IReadOnlyList<SimResult> results, string title, double timeout, string path)
    {
        var plot = new Plot();
        for (var p = 0; p < results.Count; p++)
        {
            var lat = results[p].Latencies;
            if (lat.Length == 0)
            {
                continue;
            }

            var maxX = Math.Log10(lat.Length);
            var xs = new List<double>();
            var ys = new List<double>();
            for (var x = 0.0; x <= maxX; x += maxX / 400)
            {
                var q = 1 - Math.Pow(10, -x);
                var i = Math.Clamp((int)Math.Ceiling(q * lat.Length) - 1, 0, lat.Length - 1);
                xs.Add(x);
                ys.Add(Math.Log10(Math.Max(lat[i] * 1000, 0.01)));
            }

            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = results[p].Policy;
            line.Color = SimPalette.Of(p);
            line.LineWidth = 2;
        }

        var timeoutLine = plot.Add.HorizontalLine(Math.Log10(timeout * 1000));
        timeoutLine.LinePattern = LinePattern.Dashed;
        timeoutLine.Color = Colors.Black.WithAlpha(0.5);
        timeoutLine.LegendText = "timeout";
        plot.Axes.Bottom.SetTicks([0, 1, 2, 3, 4, 5, 6], ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]);
        var decades = new List<double>();
        var labels = new List<string>();
        for (var e = -2; e <= 5; e++)
        {
            foreach (var m in new[] { 1, 2, 5 })
            {
                decades.Add(e + Math.Log10(m));
                labels.Add((m * Math.Pow(10, e)).ToString("0.##", CultureInfo.InvariantCulture));
            }
        }

        plot.Axes.Left.SetTicks([.. decades], [.. labels]);
        plot.Title($"{title}: latency by percentile (lower is better)");
        plot.XLabel("percentile");
        plot.YLabel("latency, ms (log)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1200, 700);
    }
}
