namespace Gateway.RateLimits;

/// <summary>
/// A rate in requests per second as a token bucket's (tokens, period). The partitioned limiter replenishes every
/// partition from one 100 ms timer, so the period is a whole number of 100 ms steps: 10 r/s is 1 token per 100 ms,
/// 25 r/s 5 per 200 ms, 0.5 r/s 1 per 2 s. Rates no step fits exactly get one second's worth, rounded.
/// </summary>
internal static class TokenRate
{
    public static (int Tokens, TimeSpan Period) For(double requestsPerSecond)
    {
        for (var steps = 1; steps <= 600; steps++)
        {
            var tokens = requestsPerSecond * steps / 10;
            var rounded = Math.Round(tokens);
            if (rounded >= 1 && Math.Abs(tokens - rounded) < 1e-6)
            {
                return ((int)rounded, TimeSpan.FromMilliseconds(100 * steps));
            }
        }

        return (Math.Max(1, (int)Math.Round(requestsPerSecond)), TimeSpan.FromSeconds(1));
    }
}
