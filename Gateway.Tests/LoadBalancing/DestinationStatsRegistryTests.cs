using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.LoadBalancing;

/// <summary>The registry's one record per destination, and where its in-flight counter lives.</summary>
public sealed class DestinationStatsRegistryTests
{
    private readonly DestinationStatsRegistry _registry = new(LatencyModel.Default);

    private static ClusterState Cluster(params string[] ids)
    {
        var configs = ids.ToDictionary(id => id, id => new DestinationConfig { Address = $"http://127.0.0.1/{id}" });
        var cluster = new ClusterState("c", new ClusterModel(new ClusterConfig { ClusterId = "c", Destinations = configs }, new HttpMessageInvoker(new HttpClientHandler())));
        foreach (var id in ids)
        {
            cluster.Destinations[id] = new DestinationState(id, new DestinationModel(configs[id]));
        }

        return cluster;
    }

    [Fact]
    public void Get_LastDestinationTouchedFirst_CountersSideBySideInConfigOrder()
    {
        var cluster = Cluster("a", "b", "c", "d", "e");

        var last = _registry.Get(cluster, cluster.Destinations["e"]);
        var records = "abcde".Select(id => _registry.Get(cluster, cluster.Destinations[id.ToString()])).ToArray();

        Assert.Same(last, records[4]);
        var (block, first) = records[0].InFlightCell;
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Same(block, records[i].InFlightCell.Block);
            Assert.Equal(first + i, records[i].InFlightCell.Slot);
        }
    }

    [Fact]
    public void Get_SameDestination_SameRecordAndCounter()
    {
        var cluster = Cluster("a", "b");
        var a = _registry.Get(cluster, cluster.Destinations["a"]);
        a.Begin();

        Assert.Same(a, _registry.Get(cluster, cluster.Destinations["a"]));
        Assert.Equal(1, _registry.Get(cluster, cluster.Destinations["a"]).InFlight);
        Assert.Equal(0, _registry.Get(cluster, cluster.Destinations["b"]).InFlight);
        Assert.Equal(1, _registry.LoadOf(cluster).InFlight);
    }

    [Fact]
    public void Get_DestinationAddedLater_GetsItsOwnCounter()
    {
        var cluster = Cluster("a", "b");
        var a = _registry.Get(cluster, cluster.Destinations["a"]);
        var late = new DestinationState("z", new DestinationModel(new DestinationConfig { Address = "http://127.0.0.1/z" }));
        cluster.Destinations["z"] = late;

        var z = _registry.Get(cluster, late);
        a.Begin();
        z.Begin();
        z.Begin();

        Assert.NotEqual(a.InFlightCell, z.InFlightCell);
        Assert.Equal(1, a.InFlight);
        Assert.Equal(2, z.InFlight);
        Assert.Equal(3, _registry.LoadOf(cluster).InFlight);
    }
}
