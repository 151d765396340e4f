using Yarp.ReverseProxy.LoadBalancing;

namespace Gateway.Proxy;

/// <summary>The registered load-balancing policies by name, for picking a retry's destination.</summary>
internal sealed class PolicyLookup(IEnumerable<ILoadBalancingPolicy> policies)
{
    private readonly Dictionary<string, ILoadBalancingPolicy> _byName = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    private readonly HashSet<string> _own = new(
        policies.Where(p => p.GetType().Assembly == typeof(PolicyLookup).Assembly).Select(p => p.Name), StringComparer.OrdinalIgnoreCase);

    public ILoadBalancingPolicy? Find(string? name) => name is not null && _byName.TryGetValue(name, out var p) ? p : null;

    /// <summary>
    /// Whether the policy may read YARP's per-destination in-flight count (<c>DestinationState.ConcurrentRequestCount</c>),
    /// which only YARP's own ForwarderMiddleware keeps: its built-ins (PowerOfTwoChoices, LeastRequests, YARP's default
    /// when none is named) and any policy from outside the gateway. The gateway's own policies keep their own counts.
    /// </summary>
    public bool ReadsYarpInFlight(string? name) => name is null || !_own.Contains(name);
}
