namespace Benchmarks.Sim.Engine;

/// <summary>
/// The simulated clock the shipping <c>LatencyModel</c> reads: timestamps are simulation ticks (100 ns). It starts
/// at one second, because the cores treat a timestamp of 0 as "never" (e.g. no slow start running).
/// </summary>
public sealed class SimClock : TimeProvider
{
    public const long Origin = TimeSpan.TicksPerSecond;

    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public long Now { get; set; } = Origin;

    /// <summary>Seconds since the simulation started.</summary>
    public double Seconds => (Now - Origin) / (double)TimeSpan.TicksPerSecond;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Now;

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(Now);

    public static long Ticks(double seconds) => Origin + (long)Math.Round(seconds * TimeSpan.TicksPerSecond);

    public static long Span(double seconds) => (long)Math.Round(seconds * TimeSpan.TicksPerSecond);
}
