namespace ModelWorker.Cache;

/// <summary>The prediction cache's knobs (<c>--cache-capacity</c>, <c>--cache-ttl-ms</c>); off unless a capacity is given.</summary>
public sealed record PredictionCacheOptions
{
    public const int DefaultTtlMs = 60_000;

    /// <summary>Rows kept (least recently used dropped first); 0 = no cache.</summary>
    public int Capacity { get; init; }

    /// <summary>An entry older than this is a miss and is dropped; zero = entries never expire.</summary>
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromMilliseconds(DefaultTtlMs);
}
