using Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;

namespace Gateway.Split;

/// <summary>
/// One route's split as the request path reads it: immutable, replaced whole on every change. With a canary
/// analysis the canary is the first side, so a sticky user whose key falls in the canary's 10% stays there when the
/// canary grows to 50% (a user moves at most once, from stable to canary, during a rollout).
/// </summary>
internal sealed class RouteSplit
{
    private readonly (string Cluster, int Weight)[] _sides;
    private readonly int _total;
    private readonly HashKeySpec? _sticky;

    public RouteSplit(string routeId, SplitOptions options, string source, DateTimeOffset at, long runId)
    {
        RouteId = routeId;
        Options = options;
        Source = source;
        ChangedAt = at;
        RunId = runId;
        var sides = options.Weights.Select(kv => (kv.Key, kv.Value)).ToList();
        if (options.Analysis is { } analysis)
        {
            sides = [.. sides.OrderBy(s => string.Equals(s.Key, analysis.Canary, StringComparison.OrdinalIgnoreCase) ? 0 : 1)];
        }

        _sides = [.. sides];
        _total = _sides.Sum(s => s.Weight);
        _sticky = HashKeySpec.TryParse(options.StickyKey, out var spec) ? spec : null;
    }

    public string RouteId { get; }

    public SplitOptions Options { get; }

    /// <summary>Who set it: config, api or analysis.</summary>
    public string Source { get; }

    public DateTimeOffset ChangedAt { get; }

    /// <summary>Changes when the file or the admin API set the split; the analysis' own steps keep it.</summary>
    public long RunId { get; }

    public IReadOnlyList<(string Cluster, int Weight)> Sides => _sides;

    public double Share(string cluster) => _total == 0 ? 0 : (double)Weight(cluster) / _total;

    public int Weight(string cluster) =>
        _sides.FirstOrDefault(s => string.Equals(s.Cluster, cluster, StringComparison.OrdinalIgnoreCase)).Weight;

    /// <summary>The cluster this request goes to.</summary>
    public string Choose(HttpContext context)
    {
        long point;
        if (_sticky is not null && _sticky.TryHash(context, out var hash))
        {
            // Re-mixed (SplitMix64's finalizer) so that the side does not correlate with the key's place on a
            // consistent-hash ring inside the cluster, which hashes the same key.
            point = (long)(((UInt128)Mix(hash) * (ulong)_total) >> 64);
        }
        else
        {
            point = Random.Shared.Next(_total);
        }

        foreach (var (cluster, weight) in _sides)
        {
            if (point < weight)
            {
                return cluster;
            }

            point -= weight;
        }

        return _sides[^1].Cluster;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
