namespace Benchmarks.Sim.Engine;

/// <summary>What one policy did on one scenario. Latencies are client-observed seconds, sorted; a timed-out request
/// counts as the timeout.</summary>
public sealed class SimResult
{
    public required string Policy { get; init; }

    public required int Seed { get; init; }

    public required float[] Latencies { get; init; }

    public required long Requests { get; init; }

    public required long WithinTimeout { get; init; }

    public required long Errors { get; init; }

    public required long TimedOut { get; init; }

    /// <summary>max over destinations of the time-averaged in-flight, over the mean of those averages.</summary>
    public required double AverageImbalance { get; init; }

    /// <summary>Mean over samples of (max in-flight / mean in-flight) across healthy destinations.</summary>
    public required double PeakImbalance { get; init; }

    public required IReadOnlyList<ImbalanceSample> Imbalance { get; init; }

    public required IReadOnlyList<string> DestinationIds { get; init; }

    /// <summary>Requests sent to each destination per time bucket.</summary>
    public required IReadOnlyList<long[]> PerBucket { get; init; }

    public required double BucketWidth { get; init; }

    public required IReadOnlyList<KeyRemap> KeyRemaps { get; init; }

    /// <summary>Share of keyed requests that went elsewhere than the previous request with the same key (NaN without keys).</summary>
    public required double KeyMoved { get; init; }

    /// <summary>Mean time from arrival to the start of service (the queueing delay of M/M/c theory), seconds.</summary>
    public required double MeanWait { get; init; }

    public required long Events { get; init; }

    public required TimeSpan WallTime { get; init; }

    public double WithinTimeoutShare => Requests == 0 ? 0 : WithinTimeout / (double)Requests;

    public double Percentile(double p) =>
        Latencies.Length == 0 ? 0 : Latencies[Math.Clamp((int)Math.Ceiling(p / 100 * Latencies.Length) - 1, 0, Latencies.Length - 1)];
}
