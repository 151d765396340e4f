using System.Runtime.CompilerServices;
using Gateway.Config;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// Keeps each cluster's current <see cref="ClusterSnapshot"/> beside YARP's <see cref="ClusterState"/>.
/// A pick checks two references; a change of YARP's destination lists builds a new snapshot, and so does the
/// next step of a slow start. Destinations that join the available set of a running cluster begin a slow
/// start (Envoy: not at cluster creation). Any other list (a retry's "not yet tried" subset, a capped subset)
/// is served by the same snapshot through a <see cref="CandidateMask"/>.
/// </summary>
public sealed class ClusterSnapshots(DestinationStatsRegistry registry, ResilienceSettings? settings = null)
{
    private readonly ConditionalWeakTable<ClusterState, Holder> _holders = [];

    public DestinationStatsRegistry Registry { get; } = registry;

    /// <summary>
    /// The cluster's current snapshot. For any other list than the cluster's own available list (a retry's untried
    /// destinations, a capped or affinity subset) it is still the cluster's snapshot, nothing is built: the policy
    /// checks <see cref="ClusterSnapshot.IsFor"/> and picks through a <see cref="CandidateMask"/>.
    /// </summary>
    public ClusterSnapshot Get(ClusterState cluster, IReadOnlyList<DestinationState> available)
    {
        var all = cluster.DestinationsState.AllDestinations;
        available = cluster.DestinationsState.AvailableDestinations;

        var holder = _holders.GetValue(cluster, static _ => new Holder());
        var snapshot = holder.Current;
        if (snapshot is null || !ReferenceEquals(snapshot.AvailableSource, available) || !ReferenceEquals(snapshot.AllSource, all)
            || (snapshot.RefreshAt != long.MaxValue && Registry.Model.Time.GetTimestamp() >= snapshot.RefreshAt))
        {
            var next = new ClusterSnapshot(cluster, all, available, Registry);
            next.InheritFrom(snapshot);
            Ramp(cluster, snapshot, next);
            holder.Current = snapshot = next;
        }

        return snapshot;
    }

    /// <summary>
    /// A snapshot of exactly <paramref name="list"/>: the cluster's own when it is the cluster's available list, else a
    /// one-off snapshot of that list (it allocates, and a policy's per-snapshot state is built again). The nginx
    /// methods, whose cores take the usable set as a snapshot, still pick a retry this way; ours use
    /// <see cref="Get"/> and a <see cref="CandidateMask"/>.
    /// </summary>
    public ClusterSnapshot GetExact(ClusterState cluster, IReadOnlyList<DestinationState> list) =>
        ReferenceEquals(list, cluster.DestinationsState.AvailableDestinations)
            ? Get(cluster, list)
            : new ClusterSnapshot(cluster, cluster.DestinationsState.AllDestinations, list, Registry);

    private void Ramp(ClusterState cluster, ClusterSnapshot? previous, ClusterSnapshot next)
    {
        var options = settings?.For(cluster).SlowStart;
        if (options is null || options.WindowSeconds <= 0)
        {
            return;
        }

        var window = TimeSpan.FromSeconds(options.WindowSeconds);
        var now = Registry.Model.Time.GetTimestamp();
        var before = previous is null ? null : new HashSet<DestinationStats>(previous.Candidates, ReferenceEqualityComparer.Instance);
        var ramping = false;
        foreach (var d in next.Candidates)
        {
            if (before is not null && !before.Contains(d))
            {
                d.StartRamp(now);
            }

            ramping |= d.UpdateRamp(now, window, options.MinWeightPercent, options.Aggression);
        }

        if (ramping)
        {
            // Re-weigh in about 20 steps over the window (at least every 50 ms apart).
            var step = TimeSpan.FromTicks(Math.Max(window.Ticks / 20, TimeSpan.FromMilliseconds(50).Ticks));
            next.RefreshAt = now + (long)(step.TotalSeconds * Registry.Model.Time.TimestampFrequency);
        }
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
