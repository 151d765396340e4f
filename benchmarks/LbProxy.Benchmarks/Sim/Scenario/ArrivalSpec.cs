namespace Benchmarks.Sim.Scenario;

/// <summary>Open-loop Poisson arrivals at <see cref="Rate"/> requests/s, with optional bursts at other rates.</summary>
public sealed record ArrivalSpec
{
    public double Rate { get; init; } = 100;

    public IReadOnlyList<BurstSpec> Bursts { get; init; } = [];

    /// <summary>The rate in force at <paramref name="t"/> seconds and when it next changes.</summary>
    public (double Rate, double Until) RateAt(double t)
    {
        var until = double.PositiveInfinity;
        foreach (var burst in Bursts)
        {
            if (t >= burst.At && t < burst.At + burst.Duration)
            {
                return (burst.Rate, burst.At + burst.Duration);
            }

            if (burst.At > t)
            {
                until = Math.Min(until, burst.At);
            }
        }

        return (Rate, until);
    }
}
