using System.Globalization;
using ScottPlot;

namespace Benchmarks.Worker;

/// <summary>The benchmark's picture: rows/s at saturation per config (left), latency percentiles at the fixed rate (right).</summary>
public static class WorkerBatchingPlot
{
    private static readonly (string Name, Func<ConfigResult, double> Value, Color Color)[] Percentiles =
    [
        ("p50", r => r.FixedRate.P50Ms, Colors.SteelBlue),
        ("p90", r => r.FixedRate.P90Ms, Colors.Orange),
        ("p99", r => r.FixedRate.P99Ms, Colors.FireBrick),
        ("p99.9", r => r.FixedRate.P999Ms, Colors.Purple),
    ];

    public static void Save(IReadOnlyList<ConfigResult> results, double fixedRate, string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Throughput(multiplot.GetPlot(0), results);
        Latency(multiplot.GetPlot(1), results, fixedRate);
        multiplot.SavePng(path, 1400, 600);
    }

    private static void Throughput(Plot plot, IReadOnlyList<ConfigResult> results)
    {
        var baseline = results[0].RowsPerSecond;
        var bars = results.Select((r, i) => new Bar
        {
            Position = i,
            Value = r.RowsPerSecond,
            FillColor = r.Config.MaxBatchSize == 1 ? Colors.Gray : Colors.SeaGreen,
            Label = string.Create(CultureInfo.InvariantCulture, $"{r.RowsPerSecond:0} ({r.RowsPerSecond / baseline:0.00}x)"),
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        Ticks(plot, results, 0);
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title($"Rows/s at saturation, ratio to {results[0].Config.Name} (higher is better)");
        plot.YLabel("rows/s");
    }

    private static void Latency(Plot plot, IReadOnlyList<ConfigResult> results, double fixedRate)
    {
        var width = 1.0 / (Percentiles.Length + 1);
        var offset = (Percentiles.Length - 1) * width / 2;
        for (var p = 0; p < Percentiles.Length; p++)
        {
            var (name, value, color) = Percentiles[p];
            var bars = results.Select((r, i) => new Bar
            {
                Position = i - offset + (p * width),
                Value = value(r),
                Size = width * 0.9,
                FillColor = color,
                Label = string.Create(CultureInfo.InvariantCulture, $"{value(r):0.#}"),
            }).ToList();
            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = 11;
            barPlot.LegendText = name;
        }

        Ticks(plot, results, 0);
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Latency at {fixedRate:0} req/s (lower is better)"));
        plot.YLabel("ms from intended send time");
    }

    private static void Ticks(Plot plot, IReadOnlyList<ConfigResult> results, double start)
    {
        var positions = results.Select((_, i) => start + i).ToArray();
        var labels = results.Select(r => r.Config.Name.Replace(", ", "\n", StringComparison.Ordinal)).ToArray(); // "batched 32 / 5 ms\n2t"
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.HideGrid();
    }
}
