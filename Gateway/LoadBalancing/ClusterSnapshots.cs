using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// Keeps each cluster's current <see cref="ClusterSnapshot"/> beside YARP's <see cref="ClusterState"/>.
/// A pick checks two references; only a change of YARP's destination lists builds a new snapshot.
/// </summary>
public sealed class ClusterSnapshots(DestinationStatsRegistry registry)
{
    private readonly ConditionalWeakTable<ClusterState, Holder> _holders = [];

    public DestinationStatsRegistry Registry { get; } = registry;

    public ClusterSnapshot Get(ClusterState cluster, IReadOnlyList<DestinationState> available)
    {
        var holder = _holders.GetValue(cluster, static _ => new Holder());
        var all = cluster.DestinationsState.AllDestinations;
        var snapshot = holder.Current;
        if (snapshot is null || !ReferenceEquals(snapshot.AvailableSource, available) || !ReferenceEquals(snapshot.AllSource, all))
        {
            var next = new ClusterSnapshot(cluster, all, available, Registry);
            next.InheritFrom(snapshot);
            holder.Current = snapshot = next;
        }

        return snapshot;
    }

    private sealed class Holder
    {
        private volatile ClusterSnapshot? _current;

        public ClusterSnapshot? Current
        {
            get => _current;
            set => _current = value;
        }
    }
}
