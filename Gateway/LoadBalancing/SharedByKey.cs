namespace Gateway.LoadBalancing;

/// <summary>
/// One object per key for as long as something holds it: what several clusters share because the config says they are
/// one thing (the servers of one nginx upstream that several locations use with different settings, and that upstream's
/// peer state and idle-connection cap). Values are held weakly: the clusters that use an object keep it alive, and a key
/// whose clusters are gone (a reload removed them) holds nothing. Dead keys are swept when the table has doubled since
/// the last sweep, so a reload never leaves more than one table's worth behind.
/// </summary>
internal sealed class SharedByKey<T> where T : class
{
    private const int FirstSweep = 16;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, WeakReference<T>> _values = new(StringComparer.Ordinal);
    private int _sweepAt = FirstSweep;

    /// <summary>How many keys are held (live or not yet swept); for tests.</summary>
    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _values.Count;
            }
        }
    }

    /// <summary>The live object of <paramref name="key"/>, or a new one from <paramref name="create"/> (under the table's lock).</summary>
    public T GetOrAdd<TState>(string key, TState state, Func<TState, T> create)
    {
        lock (_lock)
        {
            if (_values.TryGetValue(key, out var weak) && weak.TryGetTarget(out var live))
            {
                return live;
            }

            var made = create(state);
            if (weak is not null)
            {
                weak.SetTarget(made);
                return made;
            }

            if (_values.Count >= _sweepAt)
            {
                Sweep();
            }

            _values[key] = new WeakReference<T>(made);
            return made;
        }
    }

    // Under _lock.
    private void Sweep()
    {
        List<string>? dead = null;
        foreach (var (key, weak) in _values)
        {
            if (!weak.TryGetTarget(out _))
            {
                (dead ??= []).Add(key);
            }
        }

        dead?.ForEach(k => _values.Remove(k));
        _sweepAt = Math.Max(FirstSweep, _values.Count * 2);
    }
}
