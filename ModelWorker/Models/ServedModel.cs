using ModelWorker.Batching;
using ModelWorker.Inference;

namespace ModelWorker.Models;

/// <summary>
/// A loaded model with its own batcher and batch loop. Requests hold a lease while they use it (from lookup until
/// their answer is back), so the LRU unload can tell, without a lock, that nothing is queued in or running on its
/// batcher: it retires a model only by moving the lease count from 0 to -1, after which no lease is granted.
/// </summary>
public sealed class ServedModel
{
    private const int Retired = -1;

    private readonly IDisposable? _owned;
    private int _leases;
    private long _lastUsed;

    internal ServedModel(ModelEntry entry, OnnxBatchModel onnx, Batcher batcher, bool pinned, IDisposable? owned = null)
    {
        Entry = entry;
        Onnx = onnx;
        Batcher = batcher;
        Pinned = pinned;
        _owned = owned;
        CacheSeed = (long)System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(entry.Key.ToString()));
    }

    public ModelKey Key => Entry.Key;

    public ModelEntry Entry { get; }

    /// <summary>The session: its signature (input, output, widths) and whether the worker applies softmax.</summary>
    public OnnxBatchModel Onnx { get; }

    public Batcher Batcher { get; }

    /// <summary>The --model one: loaded at start, never unloaded.</summary>
    public bool Pinned { get; }

    /// <summary>The batch loop (null for the pinned model, whose loop the worker service runs).</summary>
    internal Task? Loop { get; set; }

    /// <summary>Seeds the prediction cache's hash of a row, so equal rows of different models hash apart.</summary>
    internal long CacheSeed { get; }

    /// <summary>TimeProvider timestamp of the last lease (the LRU order).</summary>
    public long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>Requests holding the model now; -1 once retired.</summary>
    public int Leases => Volatile.Read(ref _leases);

    /// <summary>Takes a lease; false once the model was retired for unloading (look it up again).</summary>
    public bool TryAcquire(long now)
    {
        while (true)
        {
            var leases = Volatile.Read(ref _leases);
            if (leases == Retired)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _leases, leases + 1, leases) == leases)
            {
                Volatile.Write(ref _lastUsed, now);
                return true;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _leases);

    /// <summary>Retires an idle model (no lease, so nothing in its batcher); never the pinned one.</summary>
    internal bool TryRetire() => !Pinned && Interlocked.CompareExchange(ref _leases, Retired, 0) == 0;

    /// <summary>Stops the batcher (empty: the model is retired), waits for its loop, frees the session.</summary>
    internal async Task UnloadAsync()
    {
        Batcher.Complete();
        if (Loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }

        (_owned ?? Onnx).Dispose();
    }
}
