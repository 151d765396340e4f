using System.Net;
using Gateway.Config;
using Gateway.Health;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Health;

public sealed class RiseFallHealthPolicyTests
{
    private readonly ClusterState _cluster = new("c");
    private readonly DestinationState _destination = new("d");
    private readonly ProbeStates _probes = new();
    private readonly RiseFallHealthPolicy _policy;

    public RiseFallHealthPolicyTests() =>
        _policy = new RiseFallHealthPolicy(TestSettings.With(new ResilienceOptions { HealthCheck = new ActiveHealthOptions { Rise = 2, Fall = 3 } }),
            new FakeHealthUpdater(), _probes);

    private DestinationHealth Probe(HttpStatusCode status)
    {
        using var response = new HttpResponseMessage(status);
        _policy.ProbingCompleted(_cluster, [new DestinationProbingResult(_destination, response, null)]);
        return _destination.Health.Active;
    }

    private DestinationHealth ProbeFails(Exception exception)
    {
        _policy.ProbingCompleted(_cluster, [new DestinationProbingResult(_destination, null, exception)]);
        return _destination.Health.Active;
    }

    [Fact]
    public void ProbingCompleted_FirstGoodProbe_Healthy()
    {
        Assert.Equal(DestinationHealth.Healthy, Probe(HttpStatusCode.OK));
    }

    [Fact]
    public void ProbingCompleted_FallFailedProbes_UnhealthyOnlyAtTheThird()
    {
        Probe(HttpStatusCode.OK);

        Assert.Equal(DestinationHealth.Healthy, Probe(HttpStatusCode.InternalServerError));
        Assert.Equal(DestinationHealth.Healthy, ProbeFails(new HttpRequestException("Connection refused")));
        Assert.Equal(DestinationHealth.Unhealthy, Probe(HttpStatusCode.BadGateway));
        Assert.Equal("probe answered 502", _probes.Find(_destination)!.LastError);
        Assert.False(_probes.Find(_destination)!.Draining);
    }

    [Fact]
    public void ProbingCompleted_AGoodProbeBetweenFailures_RestartsTheFallCount()
    {
        Probe(HttpStatusCode.OK);
        Probe(HttpStatusCode.InternalServerError);
        Probe(HttpStatusCode.InternalServerError);
        Probe(HttpStatusCode.OK);
        Probe(HttpStatusCode.InternalServerError);

        Assert.Equal(DestinationHealth.Healthy, Probe(HttpStatusCode.InternalServerError));
    }

    [Fact]
    public void ProbingCompleted_RiseGoodProbesAfterFall_HealthyOnlyAtTheSecond()
    {
        for (var i = 0; i < 3; i++)
        {
            ProbeFails(new TaskCanceledException("probe timed out"));
        }

        Assert.Equal(DestinationHealth.Unhealthy, _destination.Health.Active);
        Assert.Equal("probe timed out", _probes.Find(_destination)!.LastError);
        Assert.Equal(DestinationHealth.Unhealthy, Probe(HttpStatusCode.OK));
        Assert.Equal(DestinationHealth.Healthy, Probe(HttpStatusCode.OK));
    }

    [Fact]
    public void ProbingCompleted_503_DrainsAtOnceAndReturnsOnTheFirstGoodProbe()
    {
        Probe(HttpStatusCode.OK);

        Assert.Equal(DestinationHealth.Unhealthy, Probe(HttpStatusCode.ServiceUnavailable));
        Assert.True(_probes.Find(_destination)!.Draining);
        Assert.Equal(DestinationHealth.Unhealthy, Probe(HttpStatusCode.ServiceUnavailable));
        Assert.Equal(DestinationHealth.Healthy, Probe(HttpStatusCode.OK));
        Assert.False(_probes.Find(_destination)!.Draining);
    }

    [Fact]
    public void ProbingCompleted_503WhileDownForFailedProbes_StillNeedsTheFullRise()
    {
        for (var i = 0; i < 3; i++)
        {
            Probe(HttpStatusCode.InternalServerError);
        }

        Probe(HttpStatusCode.ServiceUnavailable);

        Assert.False(_probes.Find(_destination)!.Draining);
        Assert.Equal(DestinationHealth.Unhealthy, Probe(HttpStatusCode.OK));
        Assert.Equal(DestinationHealth.Healthy, Probe(HttpStatusCode.OK));
    }

    [Fact]
    public void ProbingCompleted_SeveralDestinations_EachJudgedOnItsOwnProbes()
    {
        var other = new DestinationState("e");
        using var ok = new HttpResponseMessage(HttpStatusCode.OK);
        using var draining = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        _policy.ProbingCompleted(_cluster, [new DestinationProbingResult(_destination, ok, null), new DestinationProbingResult(other, draining, null)]);

        Assert.Equal(DestinationHealth.Healthy, _destination.Health.Active);
        Assert.Equal(DestinationHealth.Unhealthy, other.Health.Active);
    }
}
