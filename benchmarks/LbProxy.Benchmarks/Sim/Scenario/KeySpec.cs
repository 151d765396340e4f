namespace Benchmarks.Sim.Scenario;

/// <summary>Request keys for hashing: <see cref="Count"/> distinct keys drawn <c>uniform</c> or <c>zipf</c> (exponent s).</summary>
public sealed record KeySpec
{
    public string Kind { get; init; } = "uniform";

    public int Count { get; init; } = 10_000;

    public double Exponent { get; init; } = 1.0;
}
