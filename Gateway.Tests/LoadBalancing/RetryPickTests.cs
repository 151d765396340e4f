using System.Globalization;
using Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.LoadBalancing;

/// <summary>
/// A pick from a narrower list than the cluster's (a retry's untried destinations) goes through the cluster's own
/// snapshot and hash ring: it never returns a destination left out, hashing walks on to the next owner on the same
/// ring, and once warm it allocates nothing (it used to build a whole snapshot and ring per retry).
/// </summary>
public sealed class RetryPickTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddReverseProxy().AddLbProxyLoadBalancing().Services.BuildServiceProvider();
    private readonly Dictionary<string, ILoadBalancingPolicy> _policies;
    private readonly DefaultHttpContext _context = new();

    public RetryPickTests()
    {
        _policies = _services.GetServices<ILoadBalancingPolicy>().ToDictionary(p => p.Name);
        _context.Request.Headers["X-User"] = "user-12345";
    }

    public void Dispose() => _services.Dispose();

    public static TheoryData<string, int> Policies()
    {
        var data = new TheoryData<string, int>();
        foreach (var policy in new[] { "RoundRobin", "Weighted", "LeastConnections", "ConsistentHash", "Adaptive", "NginxRoundRobin", "NginxLeastConn" })
        {
            foreach (var count in new[] { 10, 100, 1000 })
            {
                data.Add(policy, count);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void RetryPick_FromTheUntried_NeverPicksATriedOneAndAllocatesNothing(string name, int count)
    {
        var (cluster, destinations) = RetryPicks.Cluster(count, new Dictionary<string, string> { ["HashKey"] = "header:X-User", ["HashBalanceFactor"] = "125" });
        RetryPicks.AssertUntriedOnlyAllocatingNothing(_policies[name], _context, cluster, destinations);
    }

    [Fact]
    public void RetryPick_ConsistentHash_GoesToTheNextOwnerOnTheSameRing()
    {
        var (cluster, destinations) = RetryPicks.Cluster(20, new Dictionary<string, string> { ["HashKey"] = "header:X-User" });
        var policy = _policies["ConsistentHash"];
        var owner = policy.PickDestination(_context, cluster, destinations)!;
        var untried = destinations.Where(d => d != owner).ToList();
        var retried = policy.PickDestination(_context, cluster, untried)!;

        // The owner if the first one were out of the cluster altogether: the next point on the ring.
        var (other, others) = RetryPicks.Cluster(20, new Dictionary<string, string> { ["HashKey"] = "header:X-User" });
        var without = others.Where(d => d.DestinationId != owner.DestinationId).ToList();
        other.DestinationsState = new ClusterDestinationsState(others, without);
        Assert.Equal(policy.PickDestination(_context, other, without)!.DestinationId, retried.DestinationId);
    }

    [Fact]
    public void RetryPick_Weighted_FollowsTheRotationAmongTheUntried()
    {
        var (cluster, destinations) = RetryPicks.Cluster(3);
        var policy = _policies["Weighted"];
        var untried = destinations.Skip(1).ToList();
        var picks = Enumerable.Range(0, 30).Select(_ => policy.PickDestination(_context, cluster, untried)!.DestinationId).ToList();

        // Weights 1, 2, 3: d1 and d2 share the turns d0 would have had, in proportion.
        Assert.DoesNotContain("d0", picks);
        Assert.InRange(picks.Count(p => p == "d2"), 15, 22);
    }
}
