namespace Benchmarks.Sim.Engine;

/// <summary>At one membership or health change: the share of sampled keys whose ring owner changed, and the
/// share the changed destinations owned (the least any scheme must move).</summary>
public readonly record struct KeyRemap(double At, string Change, double Moved, double Minimum);
