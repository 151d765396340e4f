namespace Gateway.LoadBalancing;

/// <summary>
/// A cluster's in-flight requests: the total, kept by its destinations' statistics records in the same
/// Begin/Complete calls that keep their own, so bounded-load hashing reads it in O(1) instead of summing every
/// destination on every pick; and the storage of each destination's own in-flight counter.
/// <para>
/// The per-destination counters live side by side in blocks this cluster hands out (nginx keeps its peers in
/// one array for the same reason), so a policy that must read every destination on every pick (least
/// connections) reads one contiguous run of memory instead of one object per destination. A counter still
/// belongs to exactly one <see cref="DestinationStats"/> and is only written through it; a slot, once given,
/// is never moved or reused, so no update can be lost to a re-layout.
/// </para>
/// </summary>
public sealed class ClusterLoad
{
    private const int MinBlock = 64;

    private readonly Lock _gate = new();
    private long _inFlight;
    private long[] _block = [];
    private int _used;

    public long InFlight => Volatile.Read(ref _inFlight);

    internal void Add(long delta) => Interlocked.Add(ref _inFlight, delta);

    /// <summary>
    /// Makes sure the next <paramref name="count"/> counters come from one block, in order, so destinations laid
    /// out together are read together.
    /// </summary>
    internal void Reserve(int count)
    {
        lock (_gate)
        {
            if (_block.Length - _used < count)
            {
                NewBlock(count);
            }
        }
    }

    /// <summary>The next free counter: its block and index.</summary>
    internal (long[] Block, int Slot) AllocateCounter()
    {
        lock (_gate)
        {
            if (_used == _block.Length)
            {
                NewBlock(1);
            }

            return (_block, _used++);
        }
    }

    // Under _gate. The old block stays with the counters already in it: a slot is never moved.
    private void NewBlock(int count)
    {
        _block = new long[Math.Max(MinBlock, Math.Max(count, _block.Length * 2))];
        _used = 0;
    }
}
