namespace Benchmarks.PolicyLoad;

/// <summary>A balancer under test: the gateway with a policy, or nginx with an upstream method.</summary>
internal sealed record LoadTarget(string Name, string Kind, string Method);
