using Yarp.ReverseProxy.LoadBalancing;

namespace Gateway.Proxy;

/// <summary>The registered load-balancing policies by name, for picking a retry's destination.</summary>
internal sealed class PolicyLookup(IEnumerable<ILoadBalancingPolicy> policies)
{
    private readonly Dictionary<string, ILoadBalancingPolicy> _byName = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public ILoadBalancingPolicy? Find(string? name) => name is not null && _byName.TryGetValue(name, out var p) ? p : null;
}
