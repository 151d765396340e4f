using System.Runtime.CompilerServices;
using Gateway.Config;
using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Health;

/// <summary>
/// Each destination's <see cref="DestinationCircuitBreaker"/>, kept beside YARP's destination state and
/// rebuilt when the cluster's breaker options change. An open circuit becomes YARP passive health
/// Unhealthy for the break duration (then YARP makes it available again and the half-open trial decides);
/// a closed circuit becomes Healthy.
/// </summary>
public sealed class CircuitBreakers(ResilienceSettings settings, IDestinationHealthUpdater health, TimeProvider time, Admin.OpsEventLog? events = null)
{
    private readonly ConditionalWeakTable<DestinationState, DestinationCircuitBreaker> _breakers = [];
    private readonly Lock _create = new();

    /// <summary>The breaker of <paramref name="destination"/>, or null when the cluster turns breakers off.</summary>
    public DestinationCircuitBreaker? Get(ClusterState cluster, DestinationState destination)
    {
        var options = settings.For(cluster).CircuitBreaker;
        if (!options.Enabled)
        {
            return null;
        }

        if (_breakers.TryGetValue(destination, out var breaker) && breaker.Options == options)
        {
            return breaker;
        }

        return Create(cluster, destination, options);
    }

    // Apart from Get: a lambda capturing Get's parameters would make C# allocate its closure at the top of Get, on
    // every call (every try of every request), not only when a breaker is made.
    // Under a lock, checking again: the first requests to a destination arrive together, and each making its own
    // breaker would leave all but the last one's outcomes uncounted.
    private DestinationCircuitBreaker Create(ClusterState cluster, DestinationState destination, CircuitBreakerOptions options)
    {
        lock (_create)
        {
            if (_breakers.TryGetValue(destination, out var existing) && existing.Options == options)
            {
                return existing;
            }

            var breaker = new DestinationCircuitBreaker(options, time, (state, period) => Report(cluster, destination, state, period));
            _breakers.AddOrUpdate(destination, breaker);
            return breaker;
        }
    }

    /// <summary>The breaker if one exists, for status and metrics.</summary>
    public DestinationCircuitBreaker? Find(DestinationState destination) =>
        _breakers.TryGetValue(destination, out var breaker) ? breaker : null;

    private void Report(ClusterState cluster, DestinationState destination, CircuitState state, TimeSpan period)
    {
        events?.CircuitChanged(cluster.ClusterId, destination.DestinationId, state, period);
        switch (state)
        {
            case CircuitState.Open or CircuitState.Isolated:
                health.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
                break;
            case CircuitState.Closed:
                health.SetPassive(cluster, destination, DestinationHealth.Healthy, TimeSpan.Zero);
                break;
        }
    }
}
