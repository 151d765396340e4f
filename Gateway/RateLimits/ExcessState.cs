namespace Gateway.RateLimits;

/// <summary>One key's entry in an <see cref="ExcessZone"/>: its excess (thousandths of a request) and when it was last counted.</summary>
internal sealed class ExcessState(string key, long lastMs)
{
    public string Key { get; } = key;

    /// <summary>Requests over the rate, in thousandths (nginx's <c>excess</c>, 1000 = one request).</summary>
    public long Excess { get; set; }

    /// <summary>When the excess was last stored, in ms of the limiter's clock.</summary>
    public long LastMs { get; set; } = lastMs;
}
