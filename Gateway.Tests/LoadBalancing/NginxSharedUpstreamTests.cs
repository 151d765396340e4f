using System.Diagnostics.CodeAnalysis;
using Gateway.LoadBalancing;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.LoadBalancing;

/// <summary>
/// The clusters of one nginx upstream (locations with different settings) share what nginx keeps per upstream: one record
/// per server (<see cref="DestinationStatsRegistry.SharedRecordMetadataKey"/>), one <see cref="NginxRoundRobinState"/>
/// (<see cref="NginxPeerMarks.PeerGroupMetadataKey"/>) and the marks, which show in every cluster of the upstream.
/// </summary>
public sealed class NginxSharedUpstreamTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_000));
    private readonly Updater _updater = new();
    private readonly Lookup _lookup = new();
    private readonly DestinationStatsRegistry _registry = new(LatencyModel.Default);

    private sealed class Updater : IClusterDestinationsUpdater
    {
        public List<string> Updated { get; } = [];

        public void UpdateAvailableDestinations(ClusterState cluster) => Updated.Add(cluster.ClusterId);

        public void UpdateAllDestinations(ClusterState cluster) => Updated.Add(cluster.ClusterId);
    }

    /// <summary>YARP's clusters as the marks look them up (through the service provider, as in the gateway).</summary>
    private sealed class Lookup : IProxyStateLookup, IServiceProvider
    {
        public List<ClusterState> Clusters { get; } = [];

        public IEnumerable<ClusterState> GetClusters() => Clusters;

        public IEnumerable<RouteModel> GetRoutes() => [];

        public bool TryGetCluster(string id, [NotNullWhen(true)] out ClusterState? cluster)
        {
            cluster = Clusters.Find(c => c.ClusterId == id);
            return cluster is not null;
        }

        public bool TryGetRoute(string id, [NotNullWhen(true)] out RouteModel? route)
        {
            route = null;
            return false;
        }

        public object? GetService(Type serviceType) => serviceType == typeof(IProxyStateLookup) ? this : null;
    }

    /// <summary>A cluster of <paramref name="servers"/> destinations ("01-s0", ...) in group <paramref name="group"/> (null: none).</summary>
    private ClusterState Cluster(string id, string? group, int servers = 2, string cycle = "1")
    {
        var configs = new Dictionary<string, DestinationConfig>();
        for (var i = 0; i < servers; i++)
        {
            var metadata = new Dictionary<string, string>
            {
                [NginxPeerMarks.MaxFailsMetadataKey] = "1",
                [NginxPeerMarks.FailTimeoutMetadataKey] = "10",
                [DestinationStatsRegistry.WeightMetadataKey] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            if (group is not null)
            {
                metadata[DestinationStatsRegistry.SharedRecordMetadataKey] = $"{group} {cycle}\n0{i + 1}-s{i}";
            }

            configs[$"0{i + 1}-s{i}"] = new DestinationConfig { Address = $"http://127.0.0.1:{10000 + i}", Metadata = metadata };
        }

        var clusterMetadata = group is null ? null : new Dictionary<string, string> { [NginxPeerMarks.PeerGroupMetadataKey] = $"{group} {cycle}" };
        var cluster = new ClusterState(id, new ClusterModel(new ClusterConfig { ClusterId = id, Destinations = configs, Metadata = clusterMetadata },
            new HttpMessageInvoker(new SocketsHttpHandler())));
        foreach (var (key, config) in configs)
        {
            cluster.Destinations[key] = new DestinationState(key, new DestinationModel(config));
        }

        _lookup.Clusters.Add(cluster);
        return cluster;
    }

    /// <summary>What YARP does to a state it keeps across a reload that changed its config (the setter is YARP's own).</summary>
    private static void Reloaded(object state, object model) => state.GetType().GetProperty("Model")!.SetValue(state, model);

    private NginxPeerMarks Marks() => new(_registry, _time, _updater, _lookup);

    [Fact]
    public void Get_SameSharedKeyInTwoClusters_OneRecordInFlightCountedOnce()
    {
        var one = Cluster("up", "shared");
        var two = Cluster("up#2", "shared");
        var other = Cluster("other", group: null);

        var a = _registry.Get(one, one.Destinations["01-s0"]);
        Assert.Same(a, _registry.Get(two, two.Destinations["01-s0"]));
        Assert.NotSame(a, _registry.Get(one, one.Destinations["02-s1"]));
        Assert.NotSame(a, _registry.Get(other, other.Destinations["01-s0"]));

        a.Begin(); // a request through one location is in flight at the server for the other location too
        Assert.Equal(1, _registry.Get(two, two.Destinations["01-s0"]).InFlight);
        Assert.True(a.TryTakeCapSlot(1));
        Assert.False(_registry.Get(two, two.Destinations["01-s0"]).TryTakeCapSlot(1)); // max_conns=1 counts both
    }

    [Fact]
    public void Get_SharedKeyChangesWithTheConfig_NewRecordAndTheOldOneKeepsItsRequests()
    {
        var one = Cluster("up", "shared");
        var destination = one.Destinations["01-s0"];
        var before = _registry.Get(one, destination);
        before.Begin();

        var config = destination.Model.Config;
        var metadata = new Dictionary<string, string>(config.Metadata!) { [DestinationStatsRegistry.SharedRecordMetadataKey] = "shared 2\n01-s0" };
        Reloaded(destination, new DestinationModel(config with { Metadata = metadata }));

        var after = _registry.Get(one, destination);
        Assert.NotSame(before, after);
        Assert.Equal(0, after.InFlight);
        Assert.Equal(1, before.InFlight); // the request in flight ends on the record it began on
        Assert.Equal(1, after.Weight);
    }

    [Fact]
    public void For_ClustersOfOneUpstream_OneRotationAcrossThem()
    {
        var marks = Marks();
        var one = Cluster("up", "shared");
        var two = Cluster("up#2", "shared");
        Assert.Same(marks.For(one), marks.For(two));
        Assert.NotSame(marks.For(one), marks.For(Cluster("solo", group: null)));

        // Weights 1 and 2: nginx's smooth sequence s1 s0 s1 s1 s0 s1, whichever cluster asks.
        DestinationStats[] Candidates(ClusterState c) => [_registry.Get(c, c.Destinations["01-s0"]), _registry.Get(c, c.Destinations["02-s1"])];
        var picks = Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? one : two)
            .Select(c => marks.For(c).Pick(Candidates(c), leastConn: false)).ToList();
        Assert.Equal([1, 0, 1, 1, 0, 1], picks);
    }

    [Fact]
    public void Pick_LeastConnThroughTheOtherCluster_SeesTheRequestsInFlightThroughTheFirst()
    {
        var marks = Marks();
        var one = Cluster("up", "shared");
        var two = Cluster("up#2", "shared");
        DestinationStats[] Candidates(ClusterState c) => [_registry.Get(c, c.Destinations["01-s0"]), _registry.Get(c, c.Destinations["02-s1"])];

        // Weights 1 and 2: two requests in flight at s1 through one location (2/2 per weight) and none at s0.
        _registry.Get(one, one.Destinations["02-s1"]).Begin();
        _registry.Get(one, one.Destinations["02-s1"]).Begin();
        Assert.Equal(0, marks.For(two).Pick(Candidates(two), leastConn: true)); // nginx's peer conns are per upstream
        _registry.Get(two, two.Destinations["01-s0"]).Begin();
        _registry.Get(two, two.Destinations["01-s0"]).Begin();
        Assert.Equal(1, marks.For(one).Pick(Candidates(one), leastConn: true)); // 2/1 at s0 against 2/2 at s1
    }

    [Fact]
    public void For_GroupValueChanges_NewRotation()
    {
        var marks = Marks();
        var one = Cluster("up", "shared");
        var first = marks.For(one);
        Reloaded(one, new ClusterModel(one.Model.Config with
        {
            Metadata = new Dictionary<string, string> { [NginxPeerMarks.PeerGroupMetadataKey] = "shared 2" },
        }, one.Model.HttpClient));

        Assert.NotSame(first, marks.For(one));
    }

    [Fact]
    public void Ended_FailureThroughOneCluster_ServerMarkedInEveryClusterOfTheUpstreamUntilFailTimeout()
    {
        var marks = Marks();
        var one = Cluster("up", "shared");
        var two = Cluster("up#2", "shared");
        var other = Cluster("other", "another");

        Assert.True(marks.Ended(one, one.Destinations["01-s0"], failed: true)); // max_fails=1: marked
        Assert.Equal(DestinationHealth.Unhealthy, one.Destinations["01-s0"].Health.Passive);
        Assert.Equal(DestinationHealth.Unhealthy, two.Destinations["01-s0"].Health.Passive);
        Assert.NotEqual(DestinationHealth.Unhealthy, other.Destinations["01-s0"].Health.Passive);
        Assert.NotEqual(DestinationHealth.Unhealthy, two.Destinations["02-s1"].Health.Passive);
        Assert.Equal(["up", "up#2"], _updater.Updated.Order(StringComparer.Ordinal));

        // The same peer: a failure through the other cluster while marked is its second (nginx's fails count is per server).
        Assert.Equal(1, marks.For(two).Peer(_registry.Get(two, two.Destinations["01-s0"])).Fails);

        _time.Advance(TimeSpan.FromSeconds(11)); // past fail_timeout in whole seconds
        Assert.NotEqual(DestinationHealth.Unhealthy, one.Destinations["01-s0"].Health.Passive);
        Assert.NotEqual(DestinationHealth.Unhealthy, two.Destinations["01-s0"].Health.Passive);
    }

    [Fact]
    public void OnClusterChanged_NewCycle_OldMarksEndAndTheirTimersChangeNothing()
    {
        var marks = Marks();
        var one = Cluster("up", "shared");
        var destination = one.Destinations["01-s0"];
        Assert.True(marks.Ended(one, destination, failed: true));
        Assert.Equal(DestinationHealth.Unhealthy, destination.Health.Passive);

        // A reload: the translator names the upstream of the new cycle (cluster and servers), YARP sets the new config.
        Reloaded(one, new ClusterModel(one.Model.Config with
        {
            Metadata = new Dictionary<string, string> { [NginxPeerMarks.PeerGroupMetadataKey] = "shared 2" },
        }, one.Model.HttpClient));
        var config = destination.Model.Config;
        Reloaded(destination, new DestinationModel(config with
        {
            Metadata = new Dictionary<string, string>(config.Metadata!) { [DestinationStatsRegistry.SharedRecordMetadataKey] = "shared 2\n01-s0" },
        }));
        marks.OnClusterChanged(one);

        Assert.Equal(DestinationHealth.Unknown, destination.Health.Passive); // tried afresh
        Assert.Equal(0, marks.For(one).Peer(_registry.Get(one, destination)).Fails);

        // The new cycle marks it again; the old mark's timer, due first, leaves that alone.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(marks.Ended(one, destination, failed: true));
        _time.Advance(TimeSpan.FromSeconds(6)); // the old mark's end (second 1011) passes
        Assert.Equal(DestinationHealth.Unhealthy, destination.Health.Passive);
        _time.Advance(TimeSpan.FromSeconds(5)); // the new one's (second 1016)
        Assert.NotEqual(DestinationHealth.Unhealthy, destination.Health.Passive);
    }

    [Fact]
    public void GetOrAdd_HoldersGone_KeysSweptWhenTheTableDoubles()
    {
        var table = new SharedByKey<object>();
        var kept = table.GetOrAdd("kept", 0, static _ => new object());
        Assert.Same(kept, table.GetOrAdd("kept", 0, static _ => new object()));
        AddDropped(table, 40);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        AddDropped(table, 30); // sweeps at 16 and 32 found nothing dead yet; the one at 64 drops the first 40
        Assert.True(table.Count < 41, $"{table.Count} keys held");
        Assert.Same(kept, table.GetOrAdd("kept", 0, static _ => new object()));
        GC.KeepAlive(kept);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void AddDropped(SharedByKey<object> table, int count)
    {
        for (var i = 0; i < count; i++)
        {
            table.GetOrAdd("dropped " + Guid.NewGuid().ToString("N"), 0, static _ => new object());
        }
    }
}
