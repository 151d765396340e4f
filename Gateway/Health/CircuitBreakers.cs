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
public sealed class CircuitBreakers(ResilienceSettings settings, IDestinationHealthUpdater health, TimeProvider time, Admin.OpsEventLog? events = null,
    IClusterDestinationsUpdater? destinations = null)
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

        if (_breakers.TryGetValue(destination, out var breaker) && breaker.Source == options && ReferenceEquals(breaker.Destination, destination.Model))
        {
            return breaker.Options.Enabled ? breaker : null;
        }

        breaker = Create(cluster, destination, options);
        return breaker.Options.Enabled ? breaker : null;
    }

    /// <summary>Destination metadata: its own consecutive-failures limit (0 = never opens), as nginx's per-server max_fails.</summary>
    public const string ConsecutiveFailuresMetadataKey = "CircuitBreaker.ConsecutiveFailures";

    /// <summary>Destination metadata: its own break duration in seconds, as nginx's per-server fail_timeout.</summary>
    public const string BreakDurationMetadataKey = "CircuitBreaker.BreakDurationSeconds";

    /// <summary>The cluster's options with the destination's own overrides (metadata), if it has any.</summary>
    private static CircuitBreakerOptions ForDestination(CircuitBreakerOptions options, DestinationState destination)
    {
        var metadata = destination.Model?.Config.Metadata;
        if (metadata is null)
        {
            return options;
        }

        if (metadata.TryGetValue(ConsecutiveFailuresMetadataKey, out var text)
            && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var failures))
        {
            options = failures == 0 ? options with { Enabled = false } : options with { ConsecutiveFailures = failures };
        }

        if (metadata.TryGetValue(BreakDurationMetadataKey, out text)
            && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            options = options with { BreakDurationSeconds = seconds, SamplingDurationSeconds = seconds };
        }

        return options;
    }

    // Apart from Get: a lambda capturing Get's parameters would make C# allocate its closure at the top of Get, on
    // every call (every try of every request), not only when a breaker is made.
    // Under a lock, checking again: the first requests to a destination arrive together, and each making its own
    // breaker would leave all but the last one's outcomes uncounted.
    private DestinationCircuitBreaker Create(ClusterState cluster, DestinationState destination, CircuitBreakerOptions options)
    {
        lock (_create)
        {
            if (_breakers.TryGetValue(destination, out var existing) && existing.Source == options && ReferenceEquals(existing.Destination, destination.Model))
            {
                return existing;
            }

            var breaker = new DestinationCircuitBreaker(ForDestination(options, destination), time, (state, period) => Report(cluster, destination, state, period))
            {
                Source = options,
                Destination = destination.Model,
            };
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
                // YARP recomputes the available destinations on the thread pool, so the next request could still be sent
                // to the destination that just failed; nginx marks a failed server for the very next request. Recompute now.
                destinations?.UpdateAvailableDestinations(cluster);
                break;
            case CircuitState.Closed:
                health.SetPassive(cluster, destination, DestinationHealth.Healthy, TimeSpan.Zero);
                break;
        }
    }
}
