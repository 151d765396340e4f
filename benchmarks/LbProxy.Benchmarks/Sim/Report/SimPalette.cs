using ScottPlot;

namespace Benchmarks.Sim.Report;

/// <summary>One colour per policy, the same in every picture of a run.</summary>
public static class SimPalette
{
    private static readonly Color[] Colors =
    [
        ScottPlot.Colors.Gray, ScottPlot.Colors.SteelBlue, ScottPlot.Colors.Orange, ScottPlot.Colors.SeaGreen,
        ScottPlot.Colors.FireBrick, ScottPlot.Colors.Purple, ScottPlot.Colors.Brown, ScottPlot.Colors.HotPink,
        ScottPlot.Colors.Olive, ScottPlot.Colors.Teal, ScottPlot.Colors.Black, ScottPlot.Colors.Gold,
    ];

    public static Color Of(int i) => Colors[i % Colors.Length];
}
