using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// A cluster's destinations as the policy cores see them: plain statistics arrays, in the order the config
/// lists them (YARP keeps destinations in a dictionary, so its lists have no stable order; nginx's rotation
/// and tie-breaks follow the file). Immutable; a new one is made when YARP hands out new destination lists
/// (membership, health or config changed), so the cores can cache per-set work by array identity.
/// </summary>
public sealed class ClusterSnapshot
{
    private ConsistentHashRing? _ring;
    private object? _policyState;
    private Dictionary<DestinationState, int>? _availableIndex;
    private Dictionary<DestinationState, int>? _allIndex;

    internal ClusterSnapshot(ClusterState cluster, IReadOnlyList<DestinationState> all, IReadOnlyList<DestinationState> available,
        DestinationStatsRegistry registry)
    {
        AllSource = all;
        AvailableSource = available;
        var order = ConfigOrder(cluster);
        AllStates = [.. all.OrderBy(d => order.GetValueOrDefault(d.DestinationId, int.MaxValue)).ThenBy(d => d.DestinationId, StringComparer.Ordinal)];
        AvailableStates = [.. available.OrderBy(d => order.GetValueOrDefault(d.DestinationId, int.MaxValue)).ThenBy(d => d.DestinationId, StringComparer.Ordinal)];
        All = Array.ConvertAll(AllStates, d => registry.Get(cluster, d));
        Candidates = Array.ConvertAll(AvailableStates, d => registry.Get(cluster, d));
        Load = registry.LoadOf(cluster);
        var availableSet = new HashSet<DestinationState>(available, ReferenceEqualityComparer.Instance);
        IsAvailable = Array.ConvertAll(AllStates, availableSet.Contains);
    }

    internal IReadOnlyList<DestinationState> AllSource { get; }

    internal IReadOnlyList<DestinationState> AvailableSource { get; }

    /// <summary>Every destination of the cluster, in config order.</summary>
    public DestinationState[] AllStates { get; }

    /// <summary>The available destinations, in config order.</summary>
    public DestinationState[] AvailableStates { get; }

    /// <summary>Statistics of <see cref="AllStates"/>, aligned.</summary>
    public DestinationStats[] All { get; }

    /// <summary>Statistics of <see cref="AvailableStates"/>, aligned: what the cores pick from.</summary>
    public DestinationStats[] Candidates { get; }

    public ClusterLoad Load { get; }

    /// <summary>While a destination is in slow start: the timestamp after which the snapshot is re-weighed.</summary>
    public long RefreshAt { get; internal set; } = long.MaxValue;

    /// <summary>Availability of each of <see cref="All"/>.</summary>
    public bool[] IsAvailable { get; }

    /// <summary>The hash ring over <see cref="All"/>, made on first use; kept across snapshots while membership
    /// and weights stay the same (a health change must not reshuffle keys).</summary>
    public ConsistentHashRing Ring => _ring ??= new ConsistentHashRing(All, Load);

    /// <summary>Whether <paramref name="list"/> is the one this snapshot was made for (else pick through a <see cref="CandidateMask"/>).</summary>
    public bool IsFor(IReadOnlyList<DestinationState> list) => ReferenceEquals(list, AvailableSource);

    /// <summary>Where each of <see cref="AvailableStates"/> sits, made on the first pick from a narrower list.</summary>
    internal Dictionary<DestinationState, int> AvailableIndex => _availableIndex ??= IndexOf(AvailableStates);

    /// <summary>Where each of <see cref="AllStates"/> sits.</summary>
    internal Dictionary<DestinationState, int> AllIndex => _allIndex ??= IndexOf(AllStates);

    private static Dictionary<DestinationState, int> IndexOf(DestinationState[] states)
    {
        var index = new Dictionary<DestinationState, int>(states.Length, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < states.Length; i++)
        {
            index[states[i]] = i;
        }

        return index;
    }

    /// <summary>
    /// State a policy keeps for exactly this set of candidates (least connections' tie-break weights), made on first
    /// use: kept here, a pick needs no second per-cluster lookup, and a new set starts fresh as nginx does on reload.
    /// </summary>
    internal T PolicyState<T>() where T : class, new()
    {
        var state = Volatile.Read(ref _policyState);
        if (state is T mine)
        {
            return mine;
        }

        // First use, or the cluster switched policy while keeping its destinations: one state wins a race.
        var fresh = new T();
        return Interlocked.CompareExchange(ref _policyState, fresh, state) == state ? fresh : PolicyState<T>();
    }

    internal void InheritFrom(ClusterSnapshot? previous)
    {
        if (previous?._ring is { } ring && ring.IsBuiltFor(All))
        {
            _ring = ring;
        }
    }

    private static Dictionary<string, int> ConfigOrder(ClusterState cluster)
    {
        var order = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in cluster.Model.Config.Destinations?.Keys ?? Enumerable.Empty<string>())
        {
            order.TryAdd(id, order.Count);
        }

        return order;
    }
}
