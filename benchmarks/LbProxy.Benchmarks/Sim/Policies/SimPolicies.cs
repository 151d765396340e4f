namespace Benchmarks.Sim.Policies;

/// <summary>The policies a run can compare, by name (case-insensitive).</summary>
public static class SimPolicies
{
    public static readonly IReadOnlyList<string> Names =
    [
        "RoundRobin", "Weighted", "LeastConnections", "Adaptive", "Adaptive+QueueDepth",
        "ConsistentHash", "ConsistentHash+Bounded", "YarpPowerOfTwoChoices", "YarpLeastRequests",
    ];

    /// <summary>A fresh policy; <paramref name="seed"/> seeds the random ones.</summary>
    public static SimPolicy Create(string name, int seed, double balanceFactor) => name.ToUpperInvariant() switch
    {
        "ROUNDROBIN" => new RoundRobinPolicy(),
        "WEIGHTED" => new WeightedPolicy(),
        "LEASTCONNECTIONS" => new LeastConnectionsPolicy(),
        "ADAPTIVE" => new AdaptivePolicy(new Random(seed), queueDepth: false),
        "ADAPTIVE+QUEUEDEPTH" => new AdaptivePolicy(new Random(seed), queueDepth: true),
        "CONSISTENTHASH" => new ConsistentHashPolicy(0),
        "CONSISTENTHASH+BOUNDED" => new ConsistentHashPolicy(balanceFactor),
        "YARPPOWEROFTWOCHOICES" => new YarpPowerOfTwoChoicesPolicy(new Random(seed)),
        "YARPLEASTREQUESTS" => new YarpLeastRequestsPolicy(),
        _ => throw new ArgumentException($"unknown policy '{name}'; choose from {string.Join(", ", Names)}", nameof(name)),
    };
}
