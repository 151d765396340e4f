using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Health;

/// <summary>Applies health verdicts to the destinations at once (YARP's updater also rebuilds the available set) and keeps them.</summary>
internal sealed class FakeHealthUpdater : IDestinationHealthUpdater
{
    public List<(string Destination, DestinationHealth Health, TimeSpan Reactivation)> Passive { get; } = [];

    public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
    {
        foreach (var update in newHealthStates)
        {
            update.Destination.Health.Active = update.NewActiveHealth;
        }
    }

    public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod)
    {
        destination.Health.Passive = newHealth;
        lock (Passive)
        {
            Passive.Add((destination.DestinationId, newHealth, reactivationPeriod));
        }
    }
}
