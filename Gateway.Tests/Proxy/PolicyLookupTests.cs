using Gateway.LoadBalancing;
using Gateway.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Proxy;

/// <summary>
/// Which clusters' tries may skip YARP's ForwarderMiddleware: only those whose policy is the gateway's own. YARP's
/// built-ins and anyone else's policy may read the in-flight count that middleware keeps.
/// </summary>
public sealed class PolicyLookupTests : IDisposable
{
    private sealed class OutsidePolicy : ILoadBalancingPolicy
    {
        public string Name => "Outside";

        public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
            availableDestinations.Count > 0 ? availableDestinations[0] : null;
    }

    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddSingleton<ILoadBalancingPolicy, OutsidePolicy>()
        .AddReverseProxy().AddLbProxyLoadBalancing().Services.BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    private PolicyLookup Lookup() => new(_services.GetServices<ILoadBalancingPolicy>());

    [Theory]
    [InlineData(LoadBalancingPolicyNames.RoundRobin)]
    [InlineData(LoadBalancingPolicyNames.Weighted)]
    [InlineData(LoadBalancingPolicyNames.LeastConnections)]
    [InlineData(LoadBalancingPolicyNames.ConsistentHash)]
    [InlineData(LoadBalancingPolicyNames.Adaptive)]
    [InlineData(LoadBalancingPolicyNames.NginxLeastConn)]
    [InlineData("weighted")] // names are case-insensitive, as YARP's are
    public void GatewayPolicies_DoNotReadYarpsInFlightCount(string name) => Assert.False(Lookup().ReadsYarpInFlight(name));

    [Theory]
    [InlineData(LoadBalancingPolicyNames.PowerOfTwoChoices)]
    [InlineData(LoadBalancingPolicyNames.LeastRequests)]
    [InlineData(LoadBalancingPolicyNames.Random)]
    [InlineData("Outside")]
    [InlineData("NoSuchPolicy")]
    [InlineData(null)] // YARP's default, PowerOfTwoChoices
    public void YarpsAndOtherPolicies_MayReadIt(string? name) => Assert.True(Lookup().ReadsYarpInFlight(name));
}
