namespace Gateway.RateLimits;

/// <summary>
/// A request against several rate limits in order, as nginx's limit_req handler does (ngx_http_limit_req_module.c):
/// every limit but the last is only checked (its excess with this request must be within its burst), the last one is
/// checked and counted, and only then are the earlier ones counted, so a request refused by any limit is counted by
/// none. The request waits for the longest of the delays its limits give, <c>(excess - delay) * 1000 / rate</c> ms.
/// </summary>
internal static class RateAdmission
{
    public static RateDecision Admit(IReadOnlyList<RateCheck> checks, long nowMs)
    {
        ArgumentOutOfRangeException.ThrowIfZero(checks.Count);
        var last = checks.Count - 1;
        for (var i = 0; i < last; i++)
        {
            var excess = checks[i].Zone.Peek(checks[i].Key, nowMs);
            if (excess > checks[i].Burst)
            {
                return new RateDecision(true, i, excess, 0);
            }
        }

        if (!checks[last].Zone.TryAdd(checks[last].Key, nowMs, checks[last].Burst, out var lastExcess))
        {
            return new RateDecision(true, last, lastExcess, 0);
        }

        var decision = new RateDecision(false, last, lastExcess, checks[last].DelayMs(lastExcess));
        for (var i = last - 1; i >= 0; i--)
        {
            var excess = checks[i].Zone.Add(checks[i].Key, nowMs);
            var delay = checks[i].DelayMs(excess);
            if (delay > decision.DelayMs)
            {
                decision = new RateDecision(false, i, excess, delay);
            }
        }

        return decision.DelayMs > 0 ? decision : decision with { Limit = -1 };
    }

    /// <summary>The clock in whole ms (exact for any timestamp frequency, FakeTimeProvider's included).</summary>
    public static long NowMs(TimeProvider time) => (long)((Int128)time.GetTimestamp() * 1000 / time.TimestampFrequency);
}
