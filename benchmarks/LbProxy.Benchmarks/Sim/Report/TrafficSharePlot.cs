using Benchmarks.Sim.Engine;
using ScottPlot;

namespace Benchmarks.Sim.Report;

/// <summary>
/// Share of each time bucket's requests that went to each destination, one panel per policy. Up to 12 destinations
/// get a line each; a larger fleet is drawn as the min, median and max share across destinations (a line per
/// destination would be unreadable).
/// </summary>
public static class TrafficSharePlot
{
    private const int MaxLines = 12;

    public static void Save(IReadOnlyList<SimResult> results, string title, string path)
    {
        var columns = results.Count <= 4 ? 2 : 3;
        var rows = (results.Count + columns - 1) / columns;
        var multiplot = new Multiplot();
        multiplot.AddPlots(results.Count); // the grid leaves the unused cells blank
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (var p = 0; p < results.Count; p++)
        {
            Panel(multiplot.GetPlot(p), results[p], title);
        }

        multiplot.SavePng(path, 700 * columns, 380 * rows);
    }

    private static void Panel(Plot plot, SimResult r, string title)
    {
        var buckets = r.PerBucket.Count == 0 ? 0 : r.PerBucket[0].Length;
        var totals = new double[buckets];
        foreach (var d in r.PerBucket)
        {
            for (var b = 0; b < buckets; b++)
            {
                totals[b] += d[b];
            }
        }

        var xs = Enumerable.Range(0, buckets).Select(b => (b + 0.5) * r.BucketWidth).ToArray();
        double[] Share(long[] counts) => Enumerable.Range(0, buckets).Select(b => totals[b] == 0 ? 0 : 100 * counts[b] / totals[b]).ToArray();
        if (r.PerBucket.Count <= MaxLines)
        {
            for (var d = 0; d < r.PerBucket.Count; d++)
            {
                var line = plot.Add.ScatterLine(xs, Share(r.PerBucket[d]));
                line.LegendText = r.DestinationIds[d];
                line.Color = SimPalette.Of(d);
            }

            plot.ShowLegend(Edge.Right); // outside the data area: inside, it hid the last seconds of every line
        }
        else
        {
            var shares = r.PerBucket.Select(Share).ToArray();
            foreach (var (name, pick, color) in new (string, Func<double[], double>, Color)[]
                     { ("max", s => s.Max(), Colors.FireBrick), ("median", Median, Colors.SteelBlue), ("min", s => s.Min(), Colors.Gray) })
            {
                var ys = Enumerable.Range(0, buckets).Select(b => pick(shares.Select(s => s[b]).ToArray())).ToArray();
                var line = plot.Add.ScatterLine(xs, ys);
                line.LegendText = $"{name} over {r.PerBucket.Count} destinations";
                line.Color = color;
            }

            plot.ShowLegend(Edge.Right); // outside the data area: inside, it hid the last seconds of every line
        }

        plot.Title($"{title}: {r.Policy}", size: 13);
        plot.XLabel("time, s");
        plot.YLabel("% of requests");
        var top = r.PerBucket.SelectMany(Share).DefaultIfEmpty(0).Max();
        plot.Axes.SetLimitsY(0, Math.Max(1e-6, top * 1.1)); // from 0, so a small wobble never looks like a big imbalance
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
