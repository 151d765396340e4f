using System.Buffers;
using Yarp.ReverseProxy.Model;

namespace Gateway.LoadBalancing;

/// <summary>
/// Which of a snapshot's destinations a narrower list (a retry's untried destinations, the ones under their cap, an
/// affinity subset) allows, as a mask over the cluster's own snapshot: the policy picks from the snapshot it already
/// has (and its hash ring), so a pick from such a list builds nothing. The mask lives on the stack, or in a pooled
/// array for large clusters; dispose it.
/// </summary>
public ref struct CandidateMask
{
    /// <summary>Clusters up to this size keep the mask on the stack.</summary>
    public const int StackLimit = 256;

    private bool[]? _rented;

    /// <param name="space">Stack space of at least <paramref name="length"/> when it is within <see cref="StackLimit"/>; else ignored.</param>
    private CandidateMask(int length, Span<bool> space)
    {
        if (length <= space.Length)
        {
            Allowed = space[..length];
            Allowed.Clear();
        }
        else
        {
            _rented = ArrayPool<bool>.Shared.Rent(length);
            Allowed = _rented.AsSpan(0, length);
            Allowed.Clear();
        }
    }

    /// <summary>Aligned with the snapshot's candidates (or all destinations, for the hash ring).</summary>
    public Span<bool> Allowed { get; }

    /// <summary>How many are allowed.</summary>
    public int Count { get; private set; }

    /// <summary>A mask over <see cref="ClusterSnapshot.AvailableStates"/> of the destinations in <paramref name="list"/>.</summary>
    public static CandidateMask OverCandidates(ClusterSnapshot snapshot, IReadOnlyList<DestinationState> list, Span<bool> space)
    {
        var mask = new CandidateMask(snapshot.AvailableStates.Length, space);
        mask.Mark(snapshot.AvailableIndex, list);
        return mask;
    }

    /// <summary>A mask over <see cref="ClusterSnapshot.AllStates"/> (the hash ring's order) of those in <paramref name="list"/> that are available.</summary>
    public static CandidateMask OverAll(ClusterSnapshot snapshot, IReadOnlyList<DestinationState> list, Span<bool> space)
    {
        var mask = new CandidateMask(snapshot.AllStates.Length, space);
        mask.Mark(snapshot.AllIndex, list);
        for (var i = 0; i < mask.Allowed.Length; i++)
        {
            if (mask.Allowed[i] && !snapshot.IsAvailable[i])
            {
                mask.Allowed[i] = false;
                mask.Count--;
            }
        }

        return mask;
    }

    private void Mark(Dictionary<DestinationState, int> index, IReadOnlyList<DestinationState> list)
    {
        for (var i = 0; i < list.Count; i++)
        {
            // A destination the snapshot no longer offers (the list is older than the snapshot) is left out.
            if (index.TryGetValue(list[i], out var at) && !Allowed[at])
            {
                Allowed[at] = true;
                Count++;
            }
        }
    }

    /// <summary>The first allowed index at or after <paramref name="start"/>, wrapping round; -1 when none is.</summary>
    public static int NextAllowed(ReadOnlySpan<bool> allowed, int start)
    {
        for (var step = 0; step < allowed.Length; step++)
        {
            var i = (start + step) % allowed.Length;
            if (allowed[i])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The index of the <paramref name="n"/>-th (from 0) allowed entry; -1 when there are fewer.</summary>
    public static int NthAllowed(ReadOnlySpan<bool> allowed, int n)
    {
        for (var i = 0; i < allowed.Length; i++)
        {
            if (allowed[i] && n-- == 0)
            {
                return i;
            }
        }

        return -1;
    }

    public void Dispose()
    {
        if (_rented is { } rented)
        {
            _rented = null;
            ArrayPool<bool>.Shared.Return(rented);
        }
    }
}
