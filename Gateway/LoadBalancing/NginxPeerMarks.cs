using System.Globalization;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// nginx's <c>max_fails</c>/<c>fail_timeout</c> for the upstreams of an nginx.conf, counted per peer as nginx counts them
/// (<see cref="NginxFailCounting"/>), in the cluster's <see cref="NginxRoundRobinState"/> (so a failure also lowers the
/// peer's effective weight there). Every nginx policy reports its pick (<see cref="Picked"/>), the nginx front reports
/// each try's end (<see cref="Ended"/>). A marked peer is YARP passive health Unhealthy until the second nginx would try
/// it again (a timer on the <see cref="TimeProvider"/>), so the available destinations (and with them backup servers and
/// "no live upstreams") are nginx's. Destinations without <see cref="MaxFailsMetadataKey"/> (or with 0) are left alone.
/// <para>
/// nginx keeps all of this per upstream, and one upstream used by locations with different retry or timeout settings is
/// several clusters here: clusters with the same <see cref="PeerGroupMetadataKey"/> share one state (one rotation, one
/// lock) and, through <see cref="DestinationStatsRegistry.SharedRecordMetadataKey"/>, one record and peer per server, and
/// a mark shows in each of them (the destinations of the same id), so a server failed through one location is skipped
/// by the others.
/// </para>
/// <para>
/// A reload is a new configuration cycle in nginx, with new peers: the translator names each cycle's upstreams anew, so
/// the clusters get a new state and new records (rotation, counts and in-flight counts start afresh), and when YARP
/// reports the changed cluster the old cycle's marks end (<see cref="OnClusterChanged"/>).
/// </para>
/// </summary>
public sealed class NginxPeerMarks(DestinationStatsRegistry registry, TimeProvider time, IClusterDestinationsUpdater? destinations = null,
    IServiceProvider? services = null) : IClusterChangeListener
{
    /// <summary>Destination metadata: the server's max_fails (0 or absent: never marked).</summary>
    public const string MaxFailsMetadataKey = "NginxMaxFails";

    /// <summary>Destination metadata: the server's fail_timeout in whole seconds.</summary>
    public const string FailTimeoutMetadataKey = "NginxFailTimeout";

    /// <summary>
    /// Cluster metadata: clusters with the same value are one nginx upstream (its variants for locations with different
    /// settings) and share one <see cref="NginxRoundRobinState"/>; a new value (a reload's) starts a new one.
    /// </summary>
    public const string PeerGroupMetadataKey = "NginxPeerGroup";

    private readonly ConditionalWeakTable<ClusterState, Binding> _states = [];
    private readonly SharedByKey<NginxRoundRobinState> _groups = new();

    // Looked up on first use: YARP's proxy state needs the config validator, which needs the policies, which need this.
    private IProxyStateLookup? _clusters;

    /// <summary>
    /// The cluster's peers: the round-robin state its nginx policies share with the failure counts (its upstream's, shared
    /// with the other clusters of the same <see cref="PeerGroupMetadataKey"/>). Looked up again only when the cluster's
    /// config changes.
    /// </summary>
    public NginxRoundRobinState For(ClusterState cluster)
    {
        var binding = _states.GetValue(cluster, static _ => new Binding());
        var bound = binding.Current;
        var model = cluster.Model;
        return bound is not null && ReferenceEquals(bound.Model, model) ? bound.State : Bind(binding, model);
    }

    private NginxRoundRobinState Bind(Binding binding, ClusterModel? model)
    {
        lock (binding)
        {
            var bound = binding.Current;
            if (bound is not null && ReferenceEquals(bound.Model, model))
            {
                return bound.State;
            }

            var state = GroupOf(model) is { } group
                ? _groups.GetOrAdd(group, 0, static _ => new NginxRoundRobinState())
                : bound?.State ?? new NginxRoundRobinState(); // no group: the cluster's own, kept across its config changes
            binding.Current = new Bound(model, state);
            return state;
        }
    }

    private static string? GroupOf(ClusterModel? model) =>
        model?.Config.Metadata?.TryGetValue(PeerGroupMetadataKey, out var group) == true && group.Length > 0 ? group : null;

    /// <summary>
    /// Where <paramref name="destination"/>'s server shows: in its own cluster and, for an upstream of several clusters,
    /// as the destination of the same id in each of the others. Only looked up when a mark begins or ends.
    /// </summary>
    private List<(ClusterState Cluster, DestinationState Destination)> Views(ClusterState cluster, DestinationState destination)
    {
        var views = new List<(ClusterState, DestinationState)>(2) { (cluster, destination) };
        _clusters ??= services?.GetService(typeof(IProxyStateLookup)) as IProxyStateLookup;
        if (_clusters is null || GroupOf(cluster.Model) is not { } group)
        {
            return views;
        }

        foreach (var other in _clusters.GetClusters())
        {
            if (!ReferenceEquals(other, cluster) && GroupOf(other.Model) == group
                && other.Destinations.TryGetValue(destination.DestinationId, out var same))
            {
                views.Add((other, same));
            }
        }

        return views;
    }

    public void OnClusterAdded(ClusterState cluster)
    {
    }

    public void OnClusterRemoved(ClusterState cluster)
    {
    }

    /// <summary>
    /// The cluster's config changed (a reload): a destination still marked whose peer in the cluster's state now is not
    /// (a new cycle's peer, or a server without max_fails now) is live again at once, as nginx's new cycle tries every
    /// server afresh. YARP calls this after it set the new config and destinations.
    /// </summary>
    public void OnClusterChanged(ClusterState cluster)
    {
        var state = For(cluster);
        var changed = false;
        lock (state.Gate)
        {
            foreach (var destination in cluster.Destinations.Values)
            {
                if (destination.Health.Passive == DestinationHealth.Unhealthy
                    && (!Limits(destination, out var maxFails, out var failTimeout)
                        || !NginxFailCounting.IsMarked(state.Peer(registry.Get(cluster, destination)), maxFails, failTimeout, Now())))
                {
                    destination.Health.Passive = DestinationHealth.Unknown;
                    changed = true;
                }
            }
        }

        if (changed)
        {
            destinations?.UpdateAvailableDestinations(cluster);
        }
    }

    /// <summary>
    /// A policy picked <paramref name="destination"/> (or nothing: null): nginx's <c>checked = now</c>, and a marked peer's
    /// probe. Returns the pick, so a policy ends with <c>return marks.Picked(cluster, pick)</c>.
    /// </summary>
    public DestinationState? Picked(ClusterState cluster, DestinationState? destination)
    {
        if (destination is null || !Limits(destination, out var maxFails, out var failTimeout))
        {
            return destination;
        }

        var state = For(cluster);
        var peer = state.Peer(registry.Get(cluster, destination));
        List<ClusterState>? changed = null;
        lock (state.Gate)
        {
            if (NginxFailCounting.Picked(peer, maxFails, failTimeout, Now()))
            {
                // The probe is out: other requests skip the peer until its outcome, or another fail_timeout.
                changed = Mark(cluster, destination, peer, NginxFailCounting.MarkEnds(peer.Checked, failTimeout));
            }
        }

        Publish(changed);
        return destination;
    }

    /// <summary>
    /// A try at <paramref name="destination"/> ended, failed as nginx counts it (NGX_PEER_FAILED) or not. Returns whether
    /// nginx would log "upstream server temporarily disabled" for it.
    /// </summary>
    public bool Ended(ClusterState cluster, DestinationState destination, bool failed)
    {
        if (!Limits(destination, out var maxFails, out var failTimeout))
        {
            return false;
        }

        var state = For(cluster);
        var stats = registry.Get(cluster, destination);
        var peer = state.Peer(stats);
        bool disabled;
        List<ClusterState>? changed = null;
        lock (state.Gate)
        {
            // The passive health changes under the peers' lock too, so a mark and its end never cross.
            disabled = failed && NginxFailCounting.Failed(peer, stats.Weight, maxFails, Now());
            if (disabled)
            {
                changed = Mark(cluster, destination, peer, NginxFailCounting.MarkEnds(peer.Checked, failTimeout));
            }
            else if (!failed && NginxFailCounting.Succeeded(peer) && destination.Health.Passive == DestinationHealth.Unhealthy)
            {
                changed = SetPassive(cluster, destination, DestinationHealth.Healthy); // the probe answered: live again at once
            }
        }

        Publish(changed);
        return disabled;
    }

    /// <summary>Marks the peer until <paramref name="ends"/> (under the peers' lock); returns the clusters whose health changed.</summary>
    private List<ClusterState>? Mark(ClusterState cluster, DestinationState destination, NginxPeer peer, DateTimeOffset ends)
    {
        var due = ends - time.GetUtcNow();
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }
        if (peer.Expiry is null)
        {
            peer.Expiry = time.CreateTimer(static s => ((Expiry)s!).Run(), new Expiry(this, cluster, destination, peer), due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            peer.Expiry.Change(due, Timeout.InfiniteTimeSpan);
        }

        return SetPassive(cluster, destination, DestinationHealth.Unhealthy); // in every cluster of the upstream, including one new since the mark
    }

    /// <summary>
    /// Sets the passive health of the server in every cluster it shows in (under the peers' lock); returns the clusters
    /// whose health changed.
    /// </summary>
    private List<ClusterState>? SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth health)
    {
        List<ClusterState>? changed = null;
        foreach (var (c, d) in Views(cluster, destination))
        {
            if (d.Health.Passive != health)
            {
                d.Health.Passive = health;
                (changed ??= []).Add(c);
            }
        }

        return changed;
    }

    /// <summary>
    /// The available destinations again after a health change: now, on this thread, not on the thread pool (nginx skips a
    /// failed peer from the very next pick). Outside the peers' lock: YARP runs the available-destinations policy.
    /// </summary>
    private void Publish(List<ClusterState>? changed)
    {
        if (changed is null || destinations is null)
        {
            return;
        }

        foreach (var cluster in changed)
        {
            destinations.UpdateAvailableDestinations(cluster);
        }
    }

    /// <summary>The end of a mark: available again (for a probe) unless a later failure or probe moved the end on.</summary>
    private void Expire(ClusterState cluster, DestinationState destination, NginxPeer peer)
    {
        if (!Limits(destination, out var maxFails, out var failTimeout))
        {
            return;
        }

        var state = For(cluster);
        List<ClusterState>? changed = null;
        lock (state.Gate)
        {
            if (!ReferenceEquals(state.Peer(registry.Get(cluster, destination)), peer))
            {
                return; // an earlier cycle's peer: its mark ended with the reload (OnClusterChanged)
            }

            if (NginxFailCounting.IsMarked(peer, maxFails, failTimeout, Now()))
            {
                changed = Mark(cluster, destination, peer, NginxFailCounting.MarkEnds(peer.Checked, failTimeout)); // a later failure or probe moved the end
            }
            else if (destination.Health.Passive == DestinationHealth.Unhealthy)
            {
                changed = SetPassive(cluster, destination, DestinationHealth.Unknown);
            }
        }

        Publish(changed);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeSeconds();

    private static bool Limits(DestinationState destination, out int maxFails, out long failTimeout)
    {
        failTimeout = 0;
        maxFails = 0;
        var metadata = destination.Model?.Config.Metadata;
        return metadata is not null
            && metadata.TryGetValue(MaxFailsMetadataKey, out var fails)
            && int.TryParse(fails, NumberStyles.None, CultureInfo.InvariantCulture, out maxFails) && maxFails > 0
            && metadata.TryGetValue(FailTimeoutMetadataKey, out var timeout)
            && long.TryParse(timeout, NumberStyles.None, CultureInfo.InvariantCulture, out failTimeout);
    }

    private sealed record Expiry(NginxPeerMarks Marks, ClusterState Cluster, DestinationState Destination, NginxPeer Peer)
    {
        public void Run() => Marks.Expire(Cluster, Destination, Peer);
    }

    /// <summary>The state a cluster uses, and for which config of it.</summary>
    private sealed record Bound(ClusterModel? Model, NginxRoundRobinState State);

    private sealed class Binding
    {
        private volatile Bound? _current;

        public Bound? Current
        {
            get => _current;
            set => _current = value;
        }
    }
}
