namespace Benchmarks.Sim.Engine;

/// <summary>The gateway's in-flight counts across healthy destinations at one instant.</summary>
public readonly record struct ImbalanceSample(double At, long Max, double Mean);
