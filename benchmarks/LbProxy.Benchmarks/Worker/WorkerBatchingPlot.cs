using System.Globalization;
using Benchmarks.Load;
using ScottPlot;

namespace Benchmarks.Worker;

/// <summary>
/// The benchmark's picture: rows/s at saturation per config, then p50 and p99 at the low, medium and high rate.
/// A config that cannot serve a rate (seconds of latency) is cut off at the top of its panel; the table has its figures.
/// </summary>
public static class WorkerBatchingPlot
{
    private static readonly (string Name, Func<LoadResult, double> Value, Color Color)[] Percentiles =
    [
        ("p50", r => r.P50Ms, Colors.SteelBlue),
        ("p99", r => r.P99Ms, Colors.FireBrick),
    ];

    public static void Save(IReadOnlyList<ConfigResult> results, double[] rates, string path)
    {
        ArgumentNullException.ThrowIfNull(rates);
        var multiplot = new Multiplot();
        multiplot.AddPlots(4);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Throughput(multiplot.GetPlot(0), results);
        Latency(multiplot.GetPlot(1), results, r => r.Low, $"low, {rates[0]:0} req/s");
        Latency(multiplot.GetPlot(2), results, r => r.Medium, $"medium, {rates[1]:0} req/s");
        Latency(multiplot.GetPlot(3), results, r => r.High, $"high, {rates[2]:0} req/s");
        multiplot.SavePng(path, 2200, 650);
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
        barPlot.ValueLabelStyle.FontSize = 12;
        Ticks(plot, results);
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title("Rows/s at saturation (higher is better)");
        plot.YLabel("rows/s");
    }

    private static void Latency(Plot plot, IReadOnlyList<ConfigResult> results, Func<ConfigResult, LoadResult> load, string rate)
    {
        var width = 1.0 / (Percentiles.Length + 1);
        var offset = (Percentiles.Length - 1) * width / 2;
        for (var p = 0; p < Percentiles.Length; p++)
        {
            var (name, value, color) = Percentiles[p];
            var bars = results.Select((r, i) => new Bar
            {
                Position = i - offset + (p * width),
                Value = value(load(r)),
                Size = width * 0.9,
                FillColor = color,
                Label = string.Create(CultureInfo.InvariantCulture, $"{value(load(r)):0.#}"),
            }).ToList();
            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = 11;
            barPlot.LegendText = name;
        }

        Ticks(plot, results);
        var served = results.Select(r => load(r).P99Ms).Where(v => v < 1000).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(0, served * 1.25);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Title($"Latency at {rate} (lower is better)");
        plot.YLabel("ms from intended send time");
    }

    private static void Ticks(Plot plot, IReadOnlyList<ConfigResult> results)
    {
        var positions = results.Select((_, i) => (double)i).ToArray();
        var labels = results.Select(r => Label(r.Config.Name)).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.HideGrid();
    }

    // "fixed-window 32 / 5 ms, 2t" -> "fixed-window\n32 / 5 ms\n2t": four configs side by side in a narrow panel.
    private static string Label(string name)
    {
        var lines = name.Replace(", ", "\n", StringComparison.Ordinal);
        var space = lines.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? lines : string.Concat(lines.AsSpan(0, space), "\n", lines.AsSpan(space + 1));
    }
}
