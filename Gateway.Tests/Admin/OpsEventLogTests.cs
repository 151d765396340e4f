using Gateway.Admin;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Admin;

public class OpsEventLogTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Add_MoreThanCapacity_KeepsTheNewestInOrder()
    {
        var log = new OpsEventLog(_time);
        for (var i = 0; i < OpsEventLog.Capacity + 50; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            log.Add(OpsEventKinds.Reload, "config", $"event {i}");
        }

        var events = log.Snapshot();
        Assert.Equal(OpsEventLog.Capacity, events.Count);
        Assert.Equal("event 50", events[0].Message);
        Assert.Equal($"event {OpsEventLog.Capacity + 49}", events[^1].Message);
        Assert.Equal(_time.GetUtcNow(), events[^1].At);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.Second.Sequence == p.First.Sequence + 1));
    }

    [Fact]
    public void CircuitChanged_OpenedThenIsolatedThenClosed_OneEjectionOneRecovery()
    {
        var log = new OpsEventLog(_time);
        log.CircuitChanged("models", "w1", CircuitState.Open, TimeSpan.FromSeconds(10));
        log.CircuitChanged("models", "w1", CircuitState.Isolated, TimeSpan.FromSeconds(10));
        log.CircuitChanged("models", "w1", CircuitState.HalfOpen, TimeSpan.Zero);
        log.CircuitChanged("models", "w1", CircuitState.Open, TimeSpan.FromSeconds(10));
        log.CircuitChanged("models", "w1", CircuitState.Closed, TimeSpan.Zero);

        Assert.Equal([OpsEventKinds.Ejected, OpsEventKinds.HalfOpen, OpsEventKinds.Ejected, OpsEventKinds.Recovered],
            log.Snapshot().Select(e => e.Kind));
        Assert.All(log.Snapshot(), e => Assert.Equal("models/w1", e.Subject));
        Assert.Contains("10 s", log.Snapshot()[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ActiveHealthChanged_FirstGoodProbeAndUnchanged_NoEvent()
    {
        var log = new OpsEventLog(_time);
        log.ActiveHealthChanged("models", "w1", DestinationHealth.Unknown, DestinationHealth.Healthy, false, null);
        log.ActiveHealthChanged("models", "w1", DestinationHealth.Healthy, DestinationHealth.Healthy, false, null);
        Assert.Empty(log.Snapshot());

        log.ActiveHealthChanged("models", "w1", DestinationHealth.Healthy, DestinationHealth.Unhealthy, false, "Connection refused");
        log.ActiveHealthChanged("models", "w1", DestinationHealth.Unhealthy, DestinationHealth.Healthy, false, null);
        log.ActiveHealthChanged("models", "w2", DestinationHealth.Healthy, DestinationHealth.Unhealthy, true, null);

        var events = log.Snapshot();
        Assert.Equal([OpsEventKinds.ProbeDown, OpsEventKinds.ProbeUp, OpsEventKinds.Draining], events.Select(e => e.Kind));
        Assert.Contains("Connection refused", events[0].Message, StringComparison.Ordinal);
    }
}
