using System.IO.Hashing;
using System.Runtime.InteropServices;
using ModelWorker.Metrics;
using ModelWorker.Models;

namespace ModelWorker.Cache;

/// <summary>
/// An LRU of answers keyed by model, version and the row's bytes, with a capacity and a time to live: a repeated
/// row is answered without inference and never waits in a batch. The key is the row's XxHash128 seeded with the
/// model's name/version hash; a hit is confirmed by comparing model and bytes, so a hash collision is a miss, never
/// a wrong answer. One lock around a dictionary and a linked list: each operation is a few pointer moves and a copy
/// of one row. Off (every call a no-op) unless <see cref="PredictionCacheOptions.Capacity"/> is above zero.
/// </summary>
public sealed class PredictionCache
{
    private readonly PredictionCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly WorkerMetrics? _metrics;
    private readonly Dictionary<UInt128, LinkedListNode<CacheEntry>> _byHash = [];
    private readonly LinkedList<CacheEntry> _recency = new(); // most recently used first
    private readonly Lock _lock = new();

    public PredictionCache(PredictionCacheOptions options, TimeProvider time, WorkerMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _metrics = metrics;
        if (Enabled)
        {
            metrics?.ObserveCacheEntries(() => Count);
        }
    }

    public bool Enabled => _options.Capacity > 0;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byHash.Count;
            }
        }
    }

    /// <summary>Copies the cached answer for the row into <paramref name="output"/>; false on a miss (or when off).</summary>
    public bool TryGet(ModelKey model, long seed, ReadOnlySpan<float> input, Span<float> output)
    {
        if (!Enabled)
        {
            return false;
        }

        var hash = Hash(seed, input);
        lock (_lock)
        {
            if (_byHash.TryGetValue(hash, out var node))
            {
                var entry = node.Value;
                if (Expired(entry))
                {
                    Remove(node);
                    _metrics?.CacheEvicted("expired");
                }
                else if (entry.Model == model && entry.Input.AsSpan().SequenceEqual(input) && entry.Output.Length == output.Length)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    entry.Output.CopyTo(output);
                    _metrics?.CacheHit();
                    return true;
                }
            }
        }

        _metrics?.CacheMiss();
        return false;
    }

    /// <summary>Keeps the answer for the row, dropping the least recently used entry when full.</summary>
    public void Store(ModelKey model, long seed, ReadOnlySpan<float> input, ReadOnlySpan<float> output)
    {
        if (!Enabled)
        {
            return;
        }

        var entry = new CacheEntry(Hash(seed, input), model, input.ToArray(), output.ToArray(), _time.GetTimestamp());
        lock (_lock)
        {
            if (_byHash.TryGetValue(entry.Hash, out var old))
            {
                Remove(old); // the same row again (two misses raced), or a collision: the newer answer wins
            }

            _byHash[entry.Hash] = _recency.AddFirst(entry);
            while (_byHash.Count > _options.Capacity)
            {
                Remove(_recency.Last!);
                _metrics?.CacheEvicted("capacity");
            }
        }
    }

    private bool Expired(CacheEntry entry) =>
        _options.TimeToLive > TimeSpan.Zero && _time.GetElapsedTime(entry.StoredAt) >= _options.TimeToLive;

    private void Remove(LinkedListNode<CacheEntry> node)
    {
        _recency.Remove(node);
        _byHash.Remove(node.Value.Hash);
    }

    private static UInt128 Hash(long seed, ReadOnlySpan<float> input) =>
        XxHash128.HashToUInt128(MemoryMarshal.AsBytes(input), seed);
}
