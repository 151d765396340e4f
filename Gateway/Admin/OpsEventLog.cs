using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin;

/// <summary>
/// The status page's recent events: a bounded ring, newest last. Events are rare (state changes, not requests), so
/// one lock is enough; the features that cause them call in with one line where the change happens (circuit
/// breakers, active health) or are read from the log lines they already write (<see cref="OpsEventLoggerProvider"/>).
/// </summary>
public sealed class OpsEventLog(TimeProvider time)
{
    public const int Capacity = 200;

    private readonly Queue<OpsEvent> _events = new(Capacity);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, bool> _ejected = [];
    private long _sequence;

    public void Add(string kind, string subject, string message)
    {
        lock (_lock)
        {
            if (_events.Count == Capacity)
            {
                _events.Dequeue();
            }

            _events.Enqueue(new OpsEvent(++_sequence, time.GetUtcNow(), kind, subject, message));
        }
    }

    /// <summary>The events kept, oldest first.</summary>
    public IReadOnlyList<OpsEvent> Snapshot()
    {
        lock (_lock)
        {
            return [.. _events];
        }
    }

    /// <summary>A circuit breaker changed state (from <c>Health.CircuitBreakers</c>): open is an ejection, closed a recovery.</summary>
    public void CircuitChanged(string cluster, string destination, CircuitState state, TimeSpan period)
    {
        var subject = $"{cluster}/{destination}";
        lock (_lock)
        {
            // Polly reports a consecutive-failures isolation twice (as opened, then as isolated): one ejection.
            var wasEjected = _ejected.GetValueOrDefault(subject);
            _ejected[subject] = state is CircuitState.Open or CircuitState.Isolated;
            if (wasEjected && _ejected[subject])
            {
                return;
            }
        }

        switch (state)
        {
            case CircuitState.Open or CircuitState.Isolated:
                Add(OpsEventKinds.Ejected, subject, $"circuit opened for {period.TotalSeconds:0.#} s: out of rotation");
                break;
            case CircuitState.HalfOpen:
                Add(OpsEventKinds.HalfOpen, subject, "circuit half-open: one trial request decides");
                break;
            case CircuitState.Closed:
                Add(OpsEventKinds.Recovered, subject, "circuit closed: back in rotation");
                break;
        }
    }

    /// <summary>
    /// An active probe verdict (from <c>Health.RiseFallHealthPolicy</c>, every probe): an event when it changed, except
    /// a new destination's first good probe.
    /// </summary>
    public void ActiveHealthChanged(string cluster, string destination, DestinationHealth previous, DestinationHealth health, bool draining,
        string? lastError)
    {
        if (health == previous || (previous == DestinationHealth.Unknown && health == DestinationHealth.Healthy))
        {
            return;
        }

        var subject = $"{cluster}/{destination}";
        if (health == DestinationHealth.Healthy)
        {
            Add(OpsEventKinds.ProbeUp, subject, "active probe: healthy");
        }
        else if (draining)
        {
            Add(OpsEventKinds.Draining, subject, "active probe answered 503: draining");
        }
        else
        {
            Add(OpsEventKinds.ProbeDown, subject, $"active probe: unhealthy ({lastError ?? "failed"})");
        }
    }
}
