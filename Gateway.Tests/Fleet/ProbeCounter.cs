namespace Gateway.Tests.Fleet;

/// <summary>Hung /health probes in progress across a fleet of fake workers, and the most there were at once.</summary>
internal sealed class ProbeCounter
{
    private int _current;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public IDisposable Enter()
    {
        var now = Interlocked.Increment(ref _current);
        for (var seen = Volatile.Read(ref _max); now > seen && Interlocked.CompareExchange(ref _max, now, seen) != seen; seen = Volatile.Read(ref _max))
        {
        }

        return new Exit(this);
    }

    private sealed class Exit(ProbeCounter counter) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref counter._current);
    }
}
