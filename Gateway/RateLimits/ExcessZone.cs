namespace Gateway.RateLimits;

/// <summary>
/// The per-key state of a leaky bucket, as nginx's limit_req zone keeps it (ngx_http_limit_req_module.c): a key's
/// excess over the rate in thousandths of a request and when it was last counted, in ms. A request's excess is the
/// stored one, drained by <c>rate * elapsed_ms / 1000</c> (integer arithmetic, rate in thousandths per second, as nginx:
/// 1r/m drains 16 per second), plus 1000, and never below 0; a key seen for the first time has none. Whether that
/// excess is allowed, delayed or refused is the caller's (its burst and delay), so limits with different bursts share
/// one count. Keys are kept least recently used last: a new key first forgets up to two that have been idle for a
/// minute and drained, and, when the table holds <c>capacity</c> keys, the least recently used one (nginx does the same
/// when its shared memory is full). Thread-safe: one lock per zone, held for a dictionary lookup.
/// </summary>
internal sealed class ExcessZone
{
    /// <summary>nginx forgets a drained key after it has been idle this long (ngx_http_limit_req_expire).</summary>
    public const long IdleMs = 60_000;

    private readonly Dictionary<string, LinkedListNode<ExcessState>> _keys = new(StringComparer.Ordinal);
    private readonly LinkedList<ExcessState> _lru = new();
    private readonly Lock _lock = new();
    private readonly int _capacity;

    public ExcessZone(long milliRate, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(milliRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        MilliRate = milliRate;
        _capacity = capacity;
    }

    /// <summary>The rate in thousandths of a request per second (nginx's <c>rate=10r/s</c> is 10000).</summary>
    public long MilliRate { get; }

    /// <summary>Keys remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _keys.Count;
            }
        }
    }

    /// <summary>The excess <paramref name="key"/> would have with one more request at <paramref name="nowMs"/>; nothing is stored.</summary>
    public long Peek(string key, long nowMs)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(key, out var node))
            {
                return 0;
            }

            Touch(node);
            return Next(node.Value, nowMs);
        }
    }

    /// <summary>
    /// Counts one request of <paramref name="key"/> unless its excess would be over <paramref name="maxExcess"/>
    /// (then nothing is stored); <paramref name="excess"/> is the request's excess either way.
    /// </summary>
    public bool TryAdd(string key, long nowMs, long maxExcess, out long excess)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(key, out var node))
            {
                Insert(key, nowMs);
                excess = 0;
                return true;
            }

            Touch(node);
            excess = Next(node.Value, nowMs);
            if (excess > maxExcess)
            {
                return false;
            }

            Store(node.Value, excess, nowMs);
            return true;
        }
    }

    /// <summary>Counts one request of <paramref name="key"/> whatever its excess (a limit already checked); returns the excess.</summary>
    public long Add(string key, long nowMs)
    {
        TryAdd(key, nowMs, long.MaxValue, out var excess);
        return excess;
    }

    private long Drain(ExcessState state, long nowMs) => MilliRate * Math.Max(0, nowMs - state.LastMs) / 1000;

    private long Next(ExcessState state, long nowMs) => Math.Max(0, state.Excess - Drain(state, nowMs) + 1000);

    private static void Store(ExcessState state, long excess, long nowMs)
    {
        state.Excess = excess;
        if (nowMs > state.LastMs)
        {
            state.LastMs = nowMs; // never backwards
        }
    }

    private void Touch(LinkedListNode<ExcessState> node)
    {
        if (!ReferenceEquals(_lru.First, node))
        {
            _lru.Remove(node);
            _lru.AddFirst(node);
        }
    }

    private void Insert(string key, long nowMs)
    {
        ExpireIdle(nowMs);
        if (_keys.Count >= _capacity && _lru.Last is { } oldest)
        {
            _lru.RemoveLast();
            _keys.Remove(oldest.Value.Key);
        }

        _keys[key] = _lru.AddFirst(new ExcessState(key, nowMs));
    }

    /// <summary>Forgets up to two least recently used keys idle for a minute whose excess has drained to 0.</summary>
    private void ExpireIdle(long nowMs)
    {
        for (var i = 0; i < 2 && _lru.Last is { } oldest; i++)
        {
            var idle = nowMs - oldest.Value.LastMs;
            if (idle < IdleMs || oldest.Value.Excess - Drain(oldest.Value, nowMs) > 0)
            {
                return;
            }

            _lru.RemoveLast();
            _keys.Remove(oldest.Value.Key);
        }
    }
}
