using System.Globalization;
using System.Runtime.CompilerServices;
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
/// </summary>
public sealed class NginxPeerMarks(DestinationStatsRegistry registry, TimeProvider time, IClusterDestinationsUpdater? destinations = null)
{
    /// <summary>Destination metadata: the server's max_fails (0 or absent: never marked).</summary>
    public const string MaxFailsMetadataKey = "NginxMaxFails";

    /// <summary>Destination metadata: the server's fail_timeout in whole seconds.</summary>
    public const string FailTimeoutMetadataKey = "NginxFailTimeout";

    private readonly ConditionalWeakTable<ClusterState, NginxRoundRobinState> _states = [];

    /// <summary>The cluster's peers: the round-robin state its nginx policies share with the failure counts.</summary>
    public NginxRoundRobinState For(ClusterState cluster) => _states.GetValue(cluster, static _ => new NginxRoundRobinState());

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
        var changed = false;
        lock (state.Gate)
        {
            if (NginxFailCounting.Picked(peer, maxFails, failTimeout, Now()))
            {
                // The probe is out: other requests skip the peer until its outcome, or another fail_timeout.
                changed = Mark(cluster, destination, peer, NginxFailCounting.MarkEnds(peer.Checked, failTimeout));
            }
        }

        Publish(cluster, changed);
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
        var changed = false;
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
                destination.Health.Passive = DestinationHealth.Healthy; // the probe answered: live again at once
                changed = true;
            }
        }

        Publish(cluster, changed);
        return disabled;
    }

    /// <summary>Marks the peer until <paramref name="ends"/> (under the peers' lock); returns whether its health changed.</summary>
    private bool Mark(ClusterState cluster, DestinationState destination, NginxPeer peer, DateTimeOffset ends)
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

        if (destination.Health.Passive == DestinationHealth.Unhealthy)
        {
            return false;
        }

        destination.Health.Passive = DestinationHealth.Unhealthy;
        return true;
    }

    /// <summary>
    /// The available destinations again after a health change: now, on this thread, not on the thread pool (nginx skips a
    /// failed peer from the very next pick). Outside the peers' lock: YARP runs the available-destinations policy.
    /// </summary>
    private void Publish(ClusterState cluster, bool changed)
    {
        if (changed)
        {
            destinations?.UpdateAvailableDestinations(cluster);
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
        var changed = false;
        lock (state.Gate)
        {
            if (NginxFailCounting.IsMarked(peer, maxFails, failTimeout, Now()))
            {
                Mark(cluster, destination, peer, NginxFailCounting.MarkEnds(peer.Checked, failTimeout)); // a later failure or probe moved the end
            }
            else if (destination.Health.Passive == DestinationHealth.Unhealthy)
            {
                destination.Health.Passive = DestinationHealth.Unknown;
                changed = true;
            }
        }

        Publish(cluster, changed);
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
}
