namespace Gateway.RateLimits;

/// <summary>
/// Requests in progress per key, each check with its own limit (nginx's limit_conn zone: one count per key, shared by
/// every <c>limit_conn</c> on it whatever its number), or open connections per client address. A key is forgotten when
/// its count drops to 0.
/// </summary>
internal sealed class InFlightCounts<TKey>(IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _counts = new(comparer);
    private readonly Lock _lock = new();

    /// <summary>Keys with requests in progress.</summary>
    public int Keys
    {
        get
        {
            lock (_lock)
            {
                return _counts.Count;
            }
        }
    }

    /// <summary>Everything in progress, over all keys.</summary>
    public int Total
    {
        get
        {
            lock (_lock)
            {
                return _counts.Values.Sum();
            }
        }
    }

    public int Count(TKey key)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(key);
        }
    }

    /// <summary>Counts one more request of <paramref name="key"/>, unless <paramref name="limit"/> are in progress already (null then).</summary>
    public InFlightPermit<TKey>? TryEnter(TKey key, int limit) => TryAdd(key, limit) ? new InFlightPermit<TKey>(this, key) : null;

    /// <summary>Counts one more of <paramref name="key"/> unless <paramref name="limit"/> are counted already; <see cref="Exit"/> ends it.</summary>
    public bool TryAdd(TKey key, int limit)
    {
        lock (_lock)
        {
            var count = _counts.GetValueOrDefault(key);
            if (count >= limit)
            {
                return false;
            }

            _counts[key] = count + 1;
            return true;
        }
    }

    public void Exit(TKey key)
    {
        lock (_lock)
        {
            if (_counts.TryGetValue(key, out var count))
            {
                if (count <= 1)
                {
                    _counts.Remove(key);
                }
                else
                {
                    _counts[key] = count - 1;
                }
            }
        }
    }
}
