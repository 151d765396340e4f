namespace Gateway.RateLimits;

/// <summary>
/// Requests in progress per key, each check with its own limit (nginx's limit_conn zone: one count per key, shared by
/// every <c>limit_conn</c> on it whatever its number). A key is forgotten when its count drops to 0.
/// </summary>
internal sealed class InFlightCounts
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
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

    public int Count(string key)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(key);
        }
    }

    /// <summary>Counts one more request of <paramref name="key"/>, unless <paramref name="limit"/> are in progress already (null then).</summary>
    public InFlightPermit? TryEnter(string key, int limit)
    {
        lock (_lock)
        {
            var count = _counts.GetValueOrDefault(key);
            if (count >= limit)
            {
                return null;
            }

            _counts[key] = count + 1;
        }

        return new InFlightPermit(this, key);
    }

    internal void Exit(string key)
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
