using System.Globalization;
using Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.LoadBalancing;

/// <summary>
/// A retry under nginx's ip_hash, hash, hash consistent, random and random two picks from the cluster's own snapshot
/// through a <see cref="CandidateMask"/> of the untried peers: never a tried one, nothing allocated once warm (it used to
/// build a one-off snapshot per retry), and for the hash methods the very peer that one-off snapshot gave.
/// </summary>
public sealed class NginxRetryPickTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddReverseProxy().AddLbProxyLoadBalancing().Services.BuildServiceProvider();
    private readonly Dictionary<string, ILoadBalancingPolicy> _policies;
    private readonly DefaultHttpContext _context = new();

    public NginxRetryPickTests()
    {
        _policies = _services.GetServices<ILoadBalancingPolicy>().ToDictionary(p => p.Name);
        _context.Request.Headers["X-User"] = "user-12345";
        _context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("198.51.100.23");
    }

    public void Dispose() => _services.Dispose();

    private static (ClusterState Cluster, List<DestinationState> Destinations) Cluster(int count) =>
        RetryPicks.Cluster(count, new Dictionary<string, string> { ["HashKey"] = "header:X-User" }, "d{0:D4}");

    public static TheoryData<string, int> Policies()
    {
        var data = new TheoryData<string, int>();
        foreach (var policy in new[] { "IpHash", "Hash", "HashConsistent", "RandomWeighted", "RandomTwo" })
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
        var (cluster, destinations) = Cluster(count);
        RetryPicks.AssertUntriedOnlyAllocatingNothing(_policies[name], _context, cluster, destinations);
    }

    [Theory]
    [InlineData("IpHash")]
    [InlineData("Hash")]
    [InlineData("HashConsistent")]
    public void RetryPick_HashMethods_SamePeerAsASnapshotOfTheUntried(string name)
    {
        var policy = _policies[name];
        foreach (var key in Enumerable.Range(0, 40).Select(i => $"user-{i}"))
        {
            _context.Request.Headers["X-User"] = key;
            _context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse($"10.{key.Length}.{key[^1]}.7");
            var (cluster, destinations) = Cluster(12);
            var first = policy.PickDestination(_context, cluster, destinations)!;
            var untried = destinations.Where(d => d != first).ToList();
            var retried = policy.PickDestination(_context, cluster, untried)!;

            // The old way: a cluster whose available set is exactly the untried ones (all keep their place in the layout).
            var (other, others) = Cluster(12);
            var without = others.Where(d => d.DestinationId != first.DestinationId).ToList();
            other.DestinationsState = new ClusterDestinationsState(others, without);
            Assert.Equal(policy.PickDestination(_context, other, without)!.DestinationId, retried.DestinationId);
        }
    }
}
