using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>YARP adapter for <see cref="RoundRobinSelector"/>; replaces YARP's built-in of the same name.</summary>
internal sealed class RoundRobinLoadBalancingPolicy : ILoadBalancingPolicy
{
    private readonly ConditionalWeakTable<ClusterState, RoundRobinSelector> _selectors = [];

    public string Name => LoadBalancingPolicyNames.RoundRobin;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var index = _selectors.GetValue(cluster, static _ => new RoundRobinSelector()).Pick(availableDestinations.Count);
        return index < 0 ? null : availableDestinations[index];
    }
}
