using Benchmarks.Load;

namespace Benchmarks.Worker;

/// <summary>One saturation round of one configuration: throughput, and where the CPU went (process CPU time / requests).</summary>
public sealed record SaturationRound(double RowsPerSecond, long Failed, double WorkerCpuUsPerRequest, double ClientCpuUsPerRequest, double MeanBatchSize);

/// <summary>One configuration's measurements: its interleaved saturation rounds and the fixed-rate runs at low, medium and high load.</summary>
public sealed record ConfigResult(BatchingConfig Config, IReadOnlyList<SaturationRound> Rounds, LoadResult Low, LoadResult Medium, LoadResult High)
{
    public double RowsPerSecond => Median(r => r.RowsPerSecond);

    public double WorkerCpuUsPerRequest => Median(r => r.WorkerCpuUsPerRequest);

    public double ClientCpuUsPerRequest => Median(r => r.ClientCpuUsPerRequest);

    public double MeanBatchSize => Median(r => r.MeanBatchSize);

    public long Failed => Rounds.Sum(r => r.Failed);

    private double Median(Func<SaturationRound, double> value)
    {
        var sorted = Rounds.Select(value).Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
