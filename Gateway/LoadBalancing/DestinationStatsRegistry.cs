using System.Globalization;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// Finds the one <see cref="DestinationStats"/> of a YARP destination. The record lives beside YARP's
/// <see cref="DestinationState"/> (which survives config reloads that keep the destination) in a
/// <see cref="ConditionalWeakTable{TKey,TValue}"/>, as YARP keeps per-cluster policy state. Destinations that the config
/// says are one server (<see cref="SharedRecordMetadataKey"/>) share one record across their clusters.
/// </summary>
public sealed class DestinationStatsRegistry(LatencyModel model)
{
    public const string WeightMetadataKey = "Weight";

    /// <summary>Destination metadata: its own cap of requests in flight, over the cluster's MaxConnectionsPerDestination (nginx max_conns).</summary>
    public const string MaxConnectionsMetadataKey = "MaxConnections";

    /// <summary>
    /// Destination metadata: destinations with the same value, in any clusters, are one server and share one record (its
    /// in-flight count, its places under a cap, the nginx peer state kept beside it). nginx keeps these per server of an
    /// upstream, and one upstream used by locations with different retry or timeout settings is several clusters here.
    /// A shared record counts towards no one cluster's <see cref="ClusterLoad"/> total. A new value (a reload's) is a new
    /// record; requests still in flight finish on the old one.
    /// </summary>
    public const string SharedRecordMetadataKey = "SharedStats";

    private readonly ConditionalWeakTable<DestinationState, Entry> _entries = [];
    private readonly SharedByKey<DestinationStats> _shared = new();
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
            Refresh(cluster, destination, entry, current);
        }

        return entry.Stats;
    }

    /// <summary>The destination's config changed (or this is the first look): its record, weight and address.</summary>
    private void Refresh(ClusterState cluster, DestinationState destination, Entry entry, DestinationModel current)
    {
        lock (entry)
        {
            var key = SharedKey(current.Config.Metadata);
            if (!string.Equals(key, entry.SharedKey, StringComparison.Ordinal))
            {
                entry.Stats = key is null ? new DestinationStats(destination.DestinationId, Model, cluster: LoadOf(cluster)) : Shared(key, destination.DestinationId);
                entry.SharedKey = key;
            }

            var stats = entry.Stats;
            stats.Weight = ParseWeight(current.Config.Metadata) ?? 1;
            stats.Address = current.Config.Address;
            stats.MaxConnections = current.Config.Metadata?.TryGetValue(MaxConnectionsMetadataKey, out var cap) == true
                && int.TryParse(cap, NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : 0;
            entry.Model = current;
        }
    }

    private DestinationStats Shared(string key, string id) =>
        _shared.GetOrAdd(key, (id, Model), static s => new DestinationStats(s.id, s.Model));

    private static string? SharedKey(IReadOnlyDictionary<string, string>? metadata) =>
        metadata?.TryGetValue(SharedRecordMetadataKey, out var key) == true && key.Length > 0 ? key : null;

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
                var key = SharedKey(d.Model?.Config.Metadata);
                var entry = new Entry(key is null ? new DestinationStats(d.DestinationId, Model, cluster: load) : Shared(key, d.DestinationId)) { SharedKey = key };
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
        private volatile DestinationStats _stats = stats;
        private volatile DestinationModel? _model;

        /// <summary>The record; replaced (before <see cref="Model"/> moves on) when the config's shared key changes.</summary>
        public DestinationStats Stats
        {
            get => _stats;
            set => _stats = value;
        }

        public string? SharedKey { get; set; }

        public DestinationModel? Model
        {
            get => _model;
            set => _model = value;
        }
    }
}
