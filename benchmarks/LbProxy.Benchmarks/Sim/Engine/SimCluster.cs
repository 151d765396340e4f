using Gateway.LoadBalancing;

namespace Benchmarks.Sim.Engine;

/// <summary>
/// The cluster as the policy cores see it, mirroring the gateway's ClusterSnapshot: members in creation (config)
/// order, the available ones as the candidate array, an availability array for the hash ring. Arrays are
/// immutable by the cores' contract, so every change builds new ones; the ring is kept while membership and
/// weights stay the same (a health change must not reshuffle keys).
/// </summary>
public sealed class SimCluster
{
    private readonly List<SimDestination> _all = [];

    public SimCluster(ulong[] keyHashes) => KeyHashes = keyHashes;

    public ClusterLoad Load { get; } = new();

    public IReadOnlyList<SimDestination> All => _all;

    /// <summary>Members (not removed), in creation order.</summary>
    public SimDestination[] Members { get; private set; } = [];

    public DestinationStats[] MemberStats { get; private set; } = [];

    public bool[] MemberAvailable { get; private set; } = [];

    /// <summary>Healthy members: what every policy picks from.</summary>
    public DestinationStats[] Candidates { get; private set; } = [];

    /// <summary>The destination index of each candidate.</summary>
    public int[] CandidateIndex { get; private set; } = [];

    public ulong[] KeyHashes { get; }

    public ConsistentHashRing? Ring { get; private set; }

    public void Add(SimDestination destination) => _all.Add(destination);

    /// <summary>Publishes new arrays after a membership or health change.</summary>
    public void Refresh()
    {
        var members = _all.Where(d => d.Member).ToArray();
        var memberStats = Array.ConvertAll(members, d => d.Stats);
        MemberAvailable = Array.ConvertAll(members, d => d.Healthy);
        var candidates = members.Where(d => d.Healthy).ToArray();
        Candidates = Array.ConvertAll(candidates, d => d.Stats);
        CandidateIndex = Array.ConvertAll(candidates, d => d.Index);
        if (Ring is null || !Ring.IsBuiltFor(memberStats))
        {
            Ring = KeyHashes.Length == 0 ? null : new ConsistentHashRing(memberStats, Load);
        }

        Members = members;
        MemberStats = Ring?.Destinations ?? memberStats;
    }
}
