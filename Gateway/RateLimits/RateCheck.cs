namespace Gateway.RateLimits;

/// <summary>
/// One rate limit a request is checked against: the zone and key it counts under, the excess it may reach
/// (<c>Burst</c>, thousandths of a request; over it the request is refused) and the excess it may reach without waiting
/// (<c>Delay</c>; nginx's nodelay is Delay = Burst).
/// </summary>
internal readonly record struct RateCheck(ExcessZone Zone, string Key, long Burst, long Delay)
{
    /// <summary>How long a request with <paramref name="excess"/> waits: the time the zone takes to drain what is over Delay.</summary>
    public long DelayMs(long excess) => excess <= Delay ? 0 : (excess - Delay) * 1000 / Zone.MilliRate;

    /// <summary>How long until a request refused with <paramref name="excess"/> would be within Burst.</summary>
    public TimeSpan RetryAfter(long excess) =>
        TimeSpan.FromMilliseconds(Math.Max(0, excess - Burst) * 1000 / (double)Zone.MilliRate);
}
