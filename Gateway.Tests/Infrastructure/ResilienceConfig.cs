using System.Globalization;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Gateway config files for resilience tests: one catch-all route (which may retry POST, as the embedded
/// /predict route does) to one cluster with active probes on a short interval and an <c>LbProxy.Resilience</c>
/// section. Short probe intervals, windows and timeouts keep each fault scenario to seconds.
/// </summary>
public static class ResilienceConfig
{
    /// <summary>Fast settings for fault runs: probes every 250 ms, break 1.5 s, try timeout 500 ms.</summary>
    public static JsonObject FastResilience(double slowStartSeconds = 0) => new()
    {
        ["CircuitBreaker"] = new JsonObject
        {
            ["FailureRatio"] = 0.5,
            ["MinimumThroughput"] = 10,
            ["SamplingDurationSeconds"] = 2,
            ["ConsecutiveFailures"] = 5,
            ["BreakDurationSeconds"] = 1.5,
        },
        ["HealthCheck"] = new JsonObject { ["Rise"] = 2, ["Fall"] = 3 },
        ["Retry"] = new JsonObject { ["MaxTries"] = 3, ["TryTimeoutSeconds"] = 0.5, ["TotalTimeoutSeconds"] = 5 },
        ["SlowStart"] = new JsonObject { ["WindowSeconds"] = slowStartSeconds },
    };

    public static string Build(string policy, IEnumerable<(string Name, string Url)> destinations, JsonObject? resilience = null,
        TimeSpan? probeInterval = null, TimeSpan? probeTimeout = null, bool activeHealth = true)
    {
        var dests = new JsonObject();
        foreach (var (name, url) in destinations)
        {
            dests[name] = new JsonObject { ["Address"] = url };
        }

        var cluster = new JsonObject { ["LoadBalancingPolicy"] = policy, ["Destinations"] = dests };
        if (activeHealth)
        {
            cluster["HealthCheck"] = new JsonObject
            {
                ["Active"] = new JsonObject
                {
                    ["Enabled"] = true,
                    ["Interval"] = (probeInterval ?? TimeSpan.FromMilliseconds(250)).ToString("c", CultureInfo.InvariantCulture),
                    ["Timeout"] = (probeTimeout ?? TimeSpan.FromMilliseconds(200)).ToString("c", CultureInfo.InvariantCulture),
                },
            };
        }

        var root = new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["all"] = new JsonObject
                    {
                        ["ClusterId"] = "backends",
                        ["Match"] = new JsonObject { ["Path"] = "/{**catch-all}" },
                        ["Metadata"] = new JsonObject { ["RetryNonIdempotent"] = "true" },
                    },
                },
                ["Clusters"] = new JsonObject { ["backends"] = cluster },
            },
            ["LbProxy"] = new JsonObject { ["Resilience"] = resilience ?? FastResilience() },
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }
}
