using System.Buffers;

namespace Gateway.Transport;

/// <summary>
/// Kestrel's block pool with a few blocks kept per thread in front of it. A request on an event loop rents a block for
/// its bytes in and one for its bytes out, and gives both back on the same thread a moment later; Kestrel's pool takes
/// and returns each through a queue shared by every loop (interlocked operations on a contended cache line both ways).
/// Blocks come from the inner pool and go back to it when the thread's cache is full or belongs to another pool.
/// </summary>
internal sealed class ThreadCachedMemoryPool(MemoryPool<byte> inner) : MemoryPool<byte>
{
    /// <summary>Enough for a loop's requests between two of its returns; 64 KB of idle blocks a thread at most.</summary>
    private const int PerThread = 16;

    // One cache a thread, for the pool that filled it first (a process normally has one proxy listener; tests run several).
    [ThreadStatic]
    private static Block[]? t_blocks;

    [ThreadStatic]
    private static int t_count;

    [ThreadStatic]
    private static ThreadCachedMemoryPool? t_owner;

    private readonly int _maxBufferSize = inner.MaxBufferSize; // a pipe asks on every GetMemory
    private volatile bool _disposed;

    public override int MaxBufferSize => _maxBufferSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > _maxBufferSize)
        {
            return inner.Rent(minBufferSize); // as before: the inner pool says what it cannot give
        }

        if (ReferenceEquals(t_owner, this) && t_count > 0 && t_blocks![t_count - 1].Memory.Length >= minBufferSize)
        {
            var cached = t_blocks![--t_count];
            t_blocks[t_count] = null!;
            cached.Rented = true;
            return cached;
        }

        return new Block(this, inner.Rent(minBufferSize));
    }

    private void Return(Block block)
    {
        if (!block.Rented)
        {
            return; // given back twice: handing it out twice would share it between two renters
        }

        block.Rented = false;
        if (t_owner is null || t_owner._disposed)
        {
            t_owner = this; // the thread's first pool, or one after the last was disposed (its blocks go with the old cache)
            t_blocks = new Block[PerThread];
            t_count = 0;
        }

        if (ReferenceEquals(t_owner, this) && t_count < PerThread)
        {
            t_blocks![t_count++] = block;
            return;
        }

        block.Inner.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _disposed = true;
            inner.Dispose(); // blocks still cached are dropped with their threads' caches
        }
    }

    private sealed class Block(ThreadCachedMemoryPool pool, IMemoryOwner<byte> inner) : IMemoryOwner<byte>
    {
        public IMemoryOwner<byte> Inner { get; } = inner;

        public bool Rented { get; set; } = true;

        public Memory<byte> Memory { get; } = inner.Memory;

        public void Dispose() => pool.Return(this);
    }
}
