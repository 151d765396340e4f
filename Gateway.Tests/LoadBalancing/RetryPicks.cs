using System.Globalization;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.LoadBalancing;

/// <summary>What the retry-pick tests of the gateway's and of nginx's policies share: their cluster and their main check.</summary>
internal static class RetryPicks
{
    /// <summary>
    /// <paramref name="count"/> destinations (ids from <paramref name="idFormat"/>, weights 1, 2, 3, 1, ...), all available,
    /// in a cluster with <paramref name="metadata"/>.
    /// </summary>
    public static (ClusterState Cluster, List<DestinationState> Destinations) Cluster(int count, Dictionary<string, string>? metadata = null,
        string idFormat = "d{0}")
    {
        var configs = Enumerable.Range(0, count).ToDictionary(i => string.Format(CultureInfo.InvariantCulture, idFormat, i), i => new DestinationConfig
        {
            Address = $"http://127.0.0.1:{10000 + i}",
            Metadata = new Dictionary<string, string> { ["Weight"] = (1 + (i % 3)).ToString(CultureInfo.InvariantCulture) },
        });
        var destinations = configs.Select(kv => new DestinationState(kv.Key, new DestinationModel(kv.Value))).ToList();
        var cluster = new ClusterState("c", new ClusterModel(new ClusterConfig { ClusterId = "c", Destinations = configs, Metadata = metadata },
            new HttpMessageInvoker(new SocketsHttpHandler())));
        foreach (var d in destinations)
        {
            cluster.Destinations[d.DestinationId] = d;
        }

        cluster.DestinationsState = new ClusterDestinationsState(destinations, destinations);
        return (cluster, destinations);
    }

    /// <summary>
    /// A retry's pick from the untried (every third destination tried) never returns a tried one and, once warm (the
    /// per-snapshot state made on the first picks), allocates nothing.
    /// </summary>
    public static void AssertUntriedOnlyAllocatingNothing(ILoadBalancingPolicy policy, HttpContext context, ClusterState cluster,
        List<DestinationState> destinations)
    {
        var tried = destinations.Where((_, i) => i % 3 == 0).ToHashSet();
        var untried = destinations.Where(d => !tried.Contains(d)).ToList();
        policy.PickDestination(context, cluster, destinations);
        policy.PickDestination(context, cluster, untried); // warm: per-snapshot indexes, peers and rings are made once

        // Measured twice, the lower kept: a mask over more than 256 destinations is rented from ArrayPool, which a
        // garbage collection in between (other tests run in parallel) may have trimmed, so one rent allocates; a
        // per-pick allocation shows in both rounds.
        var allocated = long.MaxValue;
        for (var round = 0; round < 2; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                var picked = policy.PickDestination(context, cluster, untried);
                Assert.NotNull(picked);
                Assert.DoesNotContain(picked, tried);
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, allocated);
    }
}
