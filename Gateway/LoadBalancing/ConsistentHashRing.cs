using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.LoadBalancing;

/// <summary>
/// A consistent-hash ring (Karger et al. 1997) with virtual nodes in proportion to weight, as nginx's
/// <c>hash ... consistent</c> (ketama: 160 points per unit of weight), hashed with XxHash3 (64-bit).
/// The ring holds every destination of the cluster, available or not: a key whose owner is unavailable walks
/// on to the next point, so only that destination's keys move and every other key stays put.
/// Optional bounded loads (Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing with Bounded Loads", 2016;
/// HAProxy <c>hash-balance-factor</c>): a destination already at ceil(factor x (total in-flight + 1) x
/// weight / total weight) is passed over for the next one on the ring.
/// </summary>
public sealed class ConsistentHashRing
{
    public const int PointsPerWeight = 160;

    private readonly ulong[] _points;
    private readonly int[] _owners;
    private readonly int[] _weights;
    private readonly ClusterLoad? _load;
    private volatile AvailableWeight? _availableWeight;

    /// <param name="load">The cluster's in-flight total, read in O(1) by bounded loads; summed per pick when absent.</param>
    public ConsistentHashRing(DestinationStats[] destinations, ClusterLoad? load = null)
    {
        Destinations = destinations;
        _load = load;
        _weights = Array.ConvertAll(destinations, d => d.Weight);
        var count = 0;
        foreach (var weight in _weights)
        {
            count += PointsPerWeight * weight;
        }

        _points = new ulong[count];
        _owners = new int[count];
        var n = 0;
        Span<byte> buffer = stackalloc byte[256];
        for (var i = 0; i < destinations.Length; i++)
        {
            var points = PointsPerWeight * _weights[i];
            for (var p = 0; p < points; p++)
            {
                // Points depend only on the destination's id, so a membership change moves nothing else.
                var text = $"{destinations[i].Id}-{p}";
                var len = Encoding.UTF8.GetBytes(text, buffer);
                _points[n] = XxHash3.HashToUInt64(buffer[..len]);
                _owners[n] = i;
                n++;
            }
        }

        Array.Sort(_points, _owners);
    }

    public DestinationStats[] Destinations { get; }

    /// <summary>Whether this ring was built for exactly these destinations with their current weights.</summary>
    public bool IsBuiltFor(DestinationStats[] destinations)
    {
        if (destinations.Length != Destinations.Length)
        {
            return false;
        }

        for (var i = 0; i < destinations.Length; i++)
        {
            if (!ReferenceEquals(destinations[i], Destinations[i]) || destinations[i].Weight != _weights[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The total weight of the available destinations, cached per availability array (immutable by contract).</summary>
    private long WeightOf(bool[] available)
    {
        var cached = _availableWeight;
        if (cached is null || !ReferenceEquals(cached.Available, available))
        {
            long total = 0;
            for (var i = 0; i < Destinations.Length; i++)
            {
                total += available[i] ? Destinations[i].Weight : 0;
            }

            _availableWeight = cached = new AvailableWeight(available, total);
        }

        return cached.Total;
    }

    private long SumInFlight(ReadOnlySpan<bool> available)
    {
        long total = 0;
        for (var i = 0; i < Destinations.Length; i++)
        {
            total += available[i] ? Destinations[i].InFlight : 0;
        }

        return total;
    }

    private sealed record AvailableWeight(bool[] Available, long Total);

    public static ulong HashKey(ReadOnlySpan<char> key) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key));

    public static ulong HashKey(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key);

    /// <summary>
    /// The index (into <see cref="Destinations"/>) of the owner of <paramref name="keyHash"/> among the
    /// destinations marked available; -1 when none is. <paramref name="balanceFactor"/> &lt;= 0 turns bounded
    /// loads off; otherwise e.g. 1.25 caps each destination at 1.25x its weighted share of the in-flight total.
    /// </summary>
    public int Pick(ulong keyHash, bool[] available, double balanceFactor = 0) =>
        Pick(keyHash, available, balanceFactor, balanceFactor > 0 && _points.Length > 0 ? WeightOf(available) : 0);

    /// <summary>
    /// The same walk over any availability mask (a retry's untried destinations): the ring is the cluster's, nothing is
    /// built or allocated; the weight total is summed here instead of cached.
    /// </summary>
    public int Pick(ulong keyHash, ReadOnlySpan<bool> available, double balanceFactor = 0)
    {
        long totalWeight = 0;
        if (balanceFactor > 0)
        {
            for (var i = 0; i < Destinations.Length; i++)
            {
                totalWeight += available[i] ? Destinations[i].Weight : 0;
            }
        }

        return Pick(keyHash, available, balanceFactor, totalWeight);
    }

    private int Pick(ulong keyHash, ReadOnlySpan<bool> available, double balanceFactor, long totalWeight)
    {
        if (_points.Length == 0)
        {
            return -1;
        }

        long totalInFlight = 0;
        if (balanceFactor > 0)
        {
            totalInFlight = _load?.InFlight ?? SumInFlight(available);
        }

        var start = Array.BinarySearch(_points, keyHash);
        if (start < 0)
        {
            start = ~start;
        }

        var firstAvailable = -1;
        for (var step = 0; step < _points.Length; step++)
        {
            var owner = _owners[(start + step) % _points.Length];
            if (!available[owner])
            {
                continue;
            }

            if (balanceFactor <= 0)
            {
                return owner;
            }

            firstAvailable = firstAvailable < 0 ? owner : firstAvailable;
            var cap = Math.Ceiling(balanceFactor * (totalInFlight + 1) * Destinations[owner].Weight / totalWeight);
            if (Destinations[owner].InFlight + 1 <= cap)
            {
                return owner;
            }
        }

        // Only reachable if in-flight counts moved under us mid-walk: the plain owner is the honest answer.
        return firstAvailable;
    }
}
