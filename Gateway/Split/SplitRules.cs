using Gateway.LoadBalancing;

namespace Gateway.Split;

/// <summary>
/// The checks of a split, shared by the config file (<c>LbProxy.Splits</c>, errors at file positions) and the admin
/// API (errors in a problem+json): every problem is reported, each with its fix.
/// </summary>
internal static class SplitRules
{
    public static IReadOnlyDictionary<string, SplitOptions> Bind(Dictionary<string, SplitOptions?>? section, ISet<string> routeIds,
        ISet<string> clusterIds, string path, Action<string, string, string> report)
    {
        var result = new Dictionary<string, SplitOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (routeId, options) in section ?? [])
        {
            var at = $"{path}:{routeId}";
            if (!routeIds.Contains(routeId))
            {
                report(at, $"LbProxy.Splits has a split for route '{routeId}', which is not defined.",
                    $"use a route id from ReverseProxy:Routes ({string.Join(", ", routeIds)}).");
                continue;
            }

            if (options is null)
            {
                report(at, $"LbProxy.Splits.{routeId} is null.", "write { \"Weights\": { \"stable\": 90, \"canary\": 10 } }.");
                continue;
            }

            if (Validate(options, $"LbProxy.Splits.{routeId}", at, clusterIds, report))
            {
                result[routeId] = options;
            }
        }

        return result;
    }

    /// <summary>Reports every problem of <paramref name="options"/>; true when there was none.</summary>
    public static bool Validate(SplitOptions options, string name, string at, ISet<string> clusterIds, Action<string, string, string> report)
    {
        var problems = 0;
        void Check(bool ok, string key, string problem, string fix)
        {
            if (!ok)
            {
                problems++;
                report($"{at}:{key}", $"{name}.{key.Replace(':', '.')} {problem}", fix);
            }
        }

        var weights = options.Weights ?? new Dictionary<string, int>();
        Check(weights.Count > 0, "Weights", "is empty; a split needs at least one cluster.", "write \"Weights\": { \"stable\": 90, \"canary\": 10 }.");
        foreach (var (cluster, weight) in weights)
        {
            Check(clusterIds.Contains(cluster), $"Weights:{cluster}", $"names cluster '{cluster}', which is not defined.",
                $"use a cluster id from ReverseProxy:Clusters ({string.Join(", ", clusterIds)}).");
            Check(weight >= 0, $"Weights:{cluster}", $"is {weight}; a weight is an integer >= 0.", "give 0 (no traffic) or more.");
        }

        Check(weights.Count == 0 || weights.Values.Any(w => w > 0), "Weights", "are all 0; no request could be sent anywhere.",
            "give at least one cluster a weight above 0.");
        Check(options.StickyKey is null || HashKeySpec.TryParse(options.StickyKey, out _), "StickyKey",
            $"is '{options.StickyKey}', which is not a key source.", $"use {HashKeySpec.Syntax}, or remove it for a random split.");
        if (options.Analysis is { } a)
        {
            Check(weights.ContainsKey(a.Stable), "Analysis:Stable", $"is '{a.Stable}', which is not one of the split's clusters.",
                $"name the stable cluster, one of: {string.Join(", ", weights.Keys)}.");
            Check(weights.ContainsKey(a.Canary), "Analysis:Canary", $"is '{a.Canary}', which is not one of the split's clusters.",
                $"name the canary cluster, one of: {string.Join(", ", weights.Keys)}.");
            Check(!string.Equals(a.Stable, a.Canary, StringComparison.OrdinalIgnoreCase), "Analysis:Canary", "is the same cluster as Analysis.Stable.",
                "compare two different clusters.");
            var steps = a.Steps ?? [];
            Check(steps.Count > 0 && steps.All(s => s is > 0 and <= 100) && steps.Zip(steps.Skip(1)).All(p => p.First < p.Second) && steps[^1] == 100,
                "Analysis:Steps", $"is [{string.Join(", ", steps)}]; steps are ascending percentages above 0 ending at 100.", "write \"Steps\": [10, 50, 100].");
            Check(a.IntervalSeconds > 0, "Analysis:IntervalSeconds", $"is {a.IntervalSeconds}; it must be seconds above 0.", "set it to 60, or remove it for the default.");
            Check(a.MinRequests >= 1, "Analysis:MinRequests", $"is {a.MinRequests}; it must be an integer >= 1.", "set it to 20, or remove it for the default.");
            Check(a.MaxErrorRatio >= 1 && a.ErrorRateTolerance >= 0, "Analysis:MaxErrorRatio",
                $"is {a.MaxErrorRatio} (tolerance {a.ErrorRateTolerance}); the ratio must be >= 1 and the tolerance >= 0.", "use 1.5 and 0.01, the defaults.");
            Check(a.MaxP95Ratio >= 1 && a.P95ToleranceSeconds >= 0, "Analysis:MaxP95Ratio",
                $"is {a.MaxP95Ratio} (tolerance {a.P95ToleranceSeconds} s); the ratio must be >= 1 and the tolerance >= 0.", "use 1.1 and 0.005, the defaults.");
        }

        return problems == 0;
    }
}
