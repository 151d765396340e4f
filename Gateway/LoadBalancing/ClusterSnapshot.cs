using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// A cluster's destinations as the policy cores see them: plain statistics arrays aligned with YARP's lists.
/// Immutable; a new one is made when YARP hands out new destination lists (membership, health or config
/// changed), so the cores can cache per-set work (sequences, rings) by array identity.
/// </summary>
public sealed class ClusterSnapshot
{
    private ConsistentHashRing? _ring;

    internal ClusterSnapshot(IReadOnlyList<DestinationState> all, IReadOnlyList<DestinationState> available,
        DestinationStatsRegistry registry)
    {
        AllSource = all;
        AvailableSource = available;
        All = new DestinationStats[all.Count];
        for (var i = 0; i < all.Count; i++)
        {
            All[i] = registry.Get(all[i]);
        }

        var indexOf = new Dictionary<DestinationState, int>(all.Count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < all.Count; i++)
        {
            indexOf[all[i]] = i;
        }

        Candidates = new DestinationStats[available.Count];
        IsAvailable = new bool[all.Count];
        for (var i = 0; i < available.Count; i++)
        {
            Candidates[i] = registry.Get(available[i]);
            if (indexOf.TryGetValue(available[i], out var index))
            {
                IsAvailable[index] = true;
            }
        }
    }

    public IReadOnlyList<DestinationState> AllSource { get; }

    public IReadOnlyList<DestinationState> AvailableSource { get; }

    /// <summary>Every destination of the cluster.</summary>
    public DestinationStats[] All { get; }

    /// <summary>The available destinations, aligned with <see cref="AvailableSource"/>.</summary>
    public DestinationStats[] Candidates { get; }

    /// <summary>Availability of each of <see cref="All"/>.</summary>
    public bool[] IsAvailable { get; }

    /// <summary>The hash ring over <see cref="All"/>, made on first use; kept across snapshots while membership
    /// and weights stay the same (a health change must not reshuffle keys).</summary>
    public ConsistentHashRing Ring => _ring ??= new ConsistentHashRing(All);

    internal void InheritFrom(ClusterSnapshot? previous)
    {
        if (previous?._ring is { } ring && ring.IsBuiltFor(All))
        {
            _ring = ring;
        }
    }
}
