namespace Gateway.Split;

/// <summary>
/// A weighted split of one route's traffic between clusters (<c>LbProxy.Splits.ROUTE</c>, or
/// <c>PUT /api/routes/ROUTE/split</c> on the admin port). Each request goes to one cluster, chosen by weight, and
/// then runs that cluster's own pipeline (admission, policy, breakers, retries, metrics) unchanged.
/// </summary>
public sealed record SplitOptions
{
    /// <summary>Cluster id to weight (integers >= 0, at least one above 0); a share is weight / sum of weights.</summary>
    public IReadOnlyDictionary<string, int> Weights { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// When set (<c>header:NAME</c> | <c>cookie:NAME</c> | <c>query:NAME</c> | <c>path</c> | <c>client-ip</c>), the key
    /// is hashed into a side so one user stays on one version; a request without the key is split at random.
    /// </summary>
    public string? StickyKey { get; init; }

    /// <summary>Automatic canary analysis: promote the canary in steps or roll it back on evidence.</summary>
    public CanaryAnalysisOptions? Analysis { get; init; }
}
