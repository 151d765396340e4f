using System.Globalization;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// Finds the one <see cref="DestinationStats"/> of a YARP destination. The record lives beside YARP's
/// <see cref="DestinationState"/> (which survives config reloads that keep the destination) in a
/// <see cref="ConditionalWeakTable{TKey,TValue}"/>, as YARP keeps per-cluster policy state.
/// </summary>
public sealed class DestinationStatsRegistry(LatencyModel model)
{
    public const string WeightMetadataKey = "Weight";

    /// <summary>Destination metadata: its own cap of requests in flight, over the cluster's MaxConnectionsPerDestination (nginx max_conns).</summary>
    public const string MaxConnectionsMetadataKey = "MaxConnections";

    private readonly ConditionalWeakTable<DestinationState, Entry> _entries = [];
    private readonly ConditionalWeakTable<ClusterState, ClusterLoad> _clusters = [];

    public LatencyModel Model { get; } = model;

    /// <summary>The total in-flight of <paramref name="cluster"/>.</summary>
    public ClusterLoad LoadOf(ClusterState cluster) => _clusters.GetValue(cluster, static _ => new ClusterLoad());

    /// <summary>The record of <paramref name="destination"/> (a YARP destination belongs to exactly one cluster).</summary>
    public DestinationStats Get(ClusterState cluster, DestinationState destination)
    {
        if (!_entries.TryGetValue(destination, out var entry))
        {
            entry = Create(cluster, destination);
        }

        var current = destination.Model;
        if (!ReferenceEquals(entry.Model, current))
        {
            // The destination's config changed (or this is the first look): take its weight and address.
            entry.Stats.Weight = ParseWeight(current.Config.Metadata) ?? 1;
            entry.Stats.Address = current.Config.Address;
            entry.Stats.MaxConnections = current.Config.Metadata?.TryGetValue(MaxConnectionsMetadataKey, out var cap) == true
                && int.TryParse(cap, NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : 0;
            entry.Model = current;
        }

        return entry.Stats;
    }

    /// <summary>
    /// Makes the record of <paramref name="destination"/>, and with it the records of every other destination of
    /// the cluster that has none yet, in config order: their in-flight counters then sit side by side in that
    /// order (<see cref="ClusterLoad"/>), whichever destination a request or the status page happens to touch first.
    /// </summary>
    private Entry Create(ClusterState cluster, DestinationState destination)
    {
        var load = LoadOf(cluster);
        lock (load)
        {
            if (_entries.TryGetValue(destination, out var existing))
            {
                return existing;
            }

            // Config keys are unique, so each destination is listed once; the one asked for is missing from the list
            // only when the config no longer names it (a reload removed it).
            var missing = new List<DestinationState>();
            foreach (var id in cluster.Model?.Config.Destinations?.Keys ?? Enumerable.Empty<string>())
            {
                if (cluster.Destinations.TryGetValue(id, out var d) && !_entries.TryGetValue(d, out _))
                {
                    missing.Add(d);
                }
            }

            if (!missing.Contains(destination))
            {
                missing.Add(destination);
            }

            load.Reserve(missing.Count);
            Entry? created = null;
            foreach (var d in missing)
            {
                var entry = new Entry(new DestinationStats(d.DestinationId, Model, cluster: load));
                _entries.Add(d, entry);
                created = ReferenceEquals(d, destination) ? entry : created;
            }

            return created!;
        }
    }

    /// <summary>The weight in a destination's metadata, or null when absent or not an integer >= 1.</summary>
    public static int? ParseWeight(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(WeightMetadataKey, out var text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var weight) && weight >= 1
            ? weight
            : null;

    private sealed class Entry(DestinationStats stats)
    {
        public DestinationStats Stats { get; } = stats;

        public DestinationModel? Model { get; set; }
    }
}
