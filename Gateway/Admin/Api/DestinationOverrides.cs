using System.Collections.Concurrent;

namespace Gateway.Admin.Api;

/// <summary>
/// The runtime API's changes, by cluster and destination id (case-insensitive, as YARP's ids). Read on every rebuild of a
/// cluster's available destinations (<see cref="OverridingAvailableDestinationsPolicy"/>) and by /status and metrics;
/// cleared by the next config reload, which is the new truth (HAProxy and nginx Plus also forget runtime changes on reload
/// unless told to keep a state file).
/// </summary>
public sealed class DestinationOverrides
{
    private readonly ConcurrentDictionary<(string Cluster, string Destination), DestinationOverride> _entries = new(Comparer.Instance);
    private volatile int _excluding;

    public DestinationOverride? Find(string clusterId, string destinationId) => _entries.GetValueOrDefault((clusterId, destinationId));

    /// <summary>Whether the destination takes no new requests (draining or disabled).</summary>
    public bool Excludes(string clusterId, string destinationId) =>
        _excluding > 0 && _entries.TryGetValue((clusterId, destinationId), out var entry) && entry.State != AdminState.Enabled;

    public IReadOnlyList<KeyValuePair<(string Cluster, string Destination), DestinationOverride>> All() => [.. _entries];

    public void Set(string clusterId, string destinationId, DestinationOverride entry)
    {
        if (entry.State == AdminState.Enabled && entry.Weight is null)
        {
            _entries.TryRemove((clusterId, destinationId), out _);
        }
        else
        {
            _entries[(clusterId, destinationId)] = entry;
        }

        _excluding = _entries.Values.Count(e => e.State != AdminState.Enabled);
    }

    /// <summary>Forgets every change; returns what was forgotten.</summary>
    public IReadOnlyList<KeyValuePair<(string Cluster, string Destination), DestinationOverride>> Clear()
    {
        var all = All();
        foreach (var (key, _) in all)
        {
            _entries.TryRemove(key, out _);
        }

        _excluding = 0;
        return all;
    }

    private sealed class Comparer : IEqualityComparer<(string Cluster, string Destination)>
    {
        public static readonly Comparer Instance = new();

        public bool Equals((string Cluster, string Destination) x, (string Cluster, string Destination) y) =>
            StringComparer.OrdinalIgnoreCase.Equals(x.Cluster, y.Cluster) && StringComparer.OrdinalIgnoreCase.Equals(x.Destination, y.Destination);

        public int GetHashCode((string Cluster, string Destination) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Cluster), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Destination));
    }
}
