namespace Benchmarks.Sim.Scenario;

/// <summary>From <see cref="At"/> for <see cref="Duration"/> seconds the Poisson rate is <see cref="Rate"/> instead of the base rate.</summary>
public sealed record BurstSpec(double At, double Duration, double Rate);
