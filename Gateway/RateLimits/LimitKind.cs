namespace Gateway.RateLimits;

/// <summary>Which limit turned a request away: the metric's <c>kind</c> tag and the /status counter's name.</summary>
internal static class LimitKind
{
    public const string Rate = "rate";
    public const string Concurrency = "concurrency";
    public const string Connections = "connections";
}
