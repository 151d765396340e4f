using Gateway.LoadBalancing;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.LoadBalancing;

/// <summary>
/// <see cref="NginxPeerMarks"/>: nginx's marks as YARP passive health, ending on the second nginx would try the peer
/// again (fake time), a probe marking it again, a success making it live at once.
/// </summary>
public sealed class NginxPeerMarksTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_000) + TimeSpan.FromMilliseconds(300));
    private readonly Updater _updater = new();

    private sealed class Updater : IClusterDestinationsUpdater
    {
        public int Calls { get; private set; }

        public void UpdateAvailableDestinations(ClusterState cluster) => Calls++;

        public void UpdateAllDestinations(ClusterState cluster) => Calls++;
    }

    private static (ClusterState Cluster, DestinationState Destination) Cluster(int maxFails, int failTimeout)
    {
        var config = new DestinationConfig
        {
            Address = "http://127.0.0.1:10000",
            Metadata = new Dictionary<string, string>
            {
                [NginxPeerMarks.MaxFailsMetadataKey] = maxFails.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [NginxPeerMarks.FailTimeoutMetadataKey] = failTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        var destination = new DestinationState("d0", new DestinationModel(config));
        var cluster = new ClusterState("c", new ClusterModel(new ClusterConfig { ClusterId = "c", Destinations = new Dictionary<string, DestinationConfig> { ["d0"] = config } },
            new HttpMessageInvoker(new SocketsHttpHandler())));
        cluster.Destinations["d0"] = destination;
        return (cluster, destination);
    }

    private NginxPeerMarks Marks() => new(new DestinationStatsRegistry(LatencyModel.Default), _time, _updater);

    [Fact]
    public void Ended_FailuresWithASuccessBetween_MarksAtMaxFailsUntilTheSecondAfterFailTimeout()
    {
        var (cluster, d) = Cluster(maxFails: 2, failTimeout: 3);
        var marks = Marks();

        Assert.False(marks.Ended(cluster, d, failed: true));
        Assert.False(marks.Ended(cluster, d, failed: false));
        Assert.NotEqual(DestinationHealth.Unhealthy, d.Health.Passive);
        Assert.True(marks.Ended(cluster, d, failed: true)); // nginx's "upstream server temporarily disabled"
        Assert.Equal(DestinationHealth.Unhealthy, d.Health.Passive);

        // Failed at second 1000: skipped while now - 1000 <= 3, so until 1004.000.
        _time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(1003) + TimeSpan.FromMilliseconds(999));
        Assert.Equal(DestinationHealth.Unhealthy, d.Health.Passive);
        _time.SetUtcNow(DateTimeOffset.FromUnixTimeSeconds(1004));
        Assert.Equal(DestinationHealth.Unknown, d.Health.Passive);
    }

    [Fact]
    public void Picked_MarkedPeerAfterFailTimeout_ProbeMarksAgainUntilItsOutcome()
    {
        var (cluster, d) = Cluster(maxFails: 1, failTimeout: 1);
        var marks = Marks();
        marks.Ended(cluster, d, failed: true);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(DestinationHealth.Unknown, d.Health.Passive);

        marks.Picked(cluster, d); // the probe
        Assert.Equal(DestinationHealth.Unhealthy, d.Health.Passive);
        var calls = _updater.Calls;

        Assert.False(marks.Ended(cluster, d, failed: false)); // it answered: live again at once
        Assert.Equal(DestinationHealth.Healthy, d.Health.Passive);
        Assert.Equal(calls + 1, _updater.Calls);
        Assert.False(marks.Ended(cluster, d, failed: false)); // cleared: the next success changes nothing
    }

    [Fact]
    public void Ended_NoMaxFails_LeavesTheDestinationAlone()
    {
        var (cluster, d) = Cluster(maxFails: 0, failTimeout: 10);
        var marks = Marks();

        Assert.False(marks.Ended(cluster, d, failed: true));
        marks.Picked(cluster, d);
        Assert.Equal(DestinationHealth.Unknown, d.Health.Passive);
        Assert.Equal(0, _updater.Calls);
    }
}
