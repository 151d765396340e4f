namespace Gateway.RateLimits;

/// <summary>A request counted in an <see cref="InFlightCounts{TKey}"/>; disposing it (once, any number of calls) ends it.</summary>
internal sealed class InFlightPermit<TKey>(InFlightCounts<TKey> counts, TKey key) : IDisposable
    where TKey : notnull
{
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            counts.Exit(key);
        }
    }
}
