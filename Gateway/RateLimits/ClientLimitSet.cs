namespace Gateway.RateLimits;

/// <summary>The running rules at one moment (immutable; a reload publishes a new one).</summary>
internal sealed class ClientLimitSet(IReadOnlyList<ClientLimit> all)
{
    public static readonly ClientLimitSet Empty = new([]);

    public IReadOnlyList<ClientLimit> All { get; } = all;

    /// <summary>Rules with a rate or concurrency limit, checked per request.</summary>
    public IReadOnlyList<ClientLimit> Requests { get; } = [.. all.Where(l => l.LimitsRequests)];

    /// <summary>Rules with a connection limit, checked per connection.</summary>
    public IReadOnlyList<ClientLimit> Connections { get; } = [.. all.Where(l => l.Rule.Connections > 0)];

    public bool IsEmpty => All.Count == 0;
}
