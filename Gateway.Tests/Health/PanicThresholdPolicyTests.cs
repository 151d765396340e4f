using Gateway.Config;
using Gateway.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Health;

public sealed class PanicThresholdPolicyTests
{
    private static readonly ClusterConfig Cluster = new() { ClusterId = "c" };

    private static DestinationState[] Destinations(int count) =>
        Enumerable.Range(0, count).Select(i => new DestinationState(((char)('a' + i)).ToString())).ToArray();

    private static List<string> Available(int thresholdPercent, DestinationState[] all) =>
        new PanicThresholdPolicy(TestSettings.With(new ResilienceOptions { PanicThresholdPercent = thresholdPercent }))
            .GetAvailalableDestinations(Cluster, all).Select(d => d.DestinationId).ToList();

    [Fact]
    public void GetAvailableDestinations_ActiveOrPassiveUnhealthy_Excluded()
    {
        var all = Destinations(4);
        all[1].Health.Active = DestinationHealth.Unhealthy;
        all[2].Health.Passive = DestinationHealth.Unhealthy;
        all[3].Health.Active = DestinationHealth.Healthy;

        Assert.Equal(["a", "d"], Available(0, all));
    }

    [Fact]
    public void GetAvailableDestinations_DefaultNoneHealthy_PanicsToAll()
    {
        var all = Destinations(3);
        foreach (var d in all)
        {
            d.Health.Passive = DestinationHealth.Unhealthy;
        }

        Assert.Equal(["a", "b", "c"], Available(0, all));
    }

    [Fact]
    public void GetAvailableDestinations_HealthyShareAtThreshold_KeepsOnlyHealthy()
    {
        var all = Destinations(4);
        all[0].Health.Active = DestinationHealth.Unhealthy;
        all[1].Health.Active = DestinationHealth.Unhealthy;

        Assert.Equal(["c", "d"], Available(50, all)); // 2 of 4 = 50%: not below
    }

    [Fact]
    public void GetAvailableDestinations_HealthyShareBelowThreshold_PanicsToAll()
    {
        var all = Destinations(3);
        all[0].Health.Active = DestinationHealth.Unhealthy;
        all[1].Health.Passive = DestinationHealth.Unhealthy;

        Assert.Equal(["a", "b", "c"], Available(50, all)); // 1 of 3 < 50%
        Assert.Equal(["c"], Available(30, all));
    }
}
