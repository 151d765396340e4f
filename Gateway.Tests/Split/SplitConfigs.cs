using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Split;

/// <summary>Config files with one catch-all route "all" whose cluster is "stable", and one cluster per named backend address.</summary>
internal static class SplitConfigs
{
    public static string Write(IReadOnlyDictionary<string, string> clusters, JsonObject? split, bool activeHealth = false)
    {
        var clusterNodes = new JsonObject();
        foreach (var (id, address) in clusters)
        {
            var cluster = new JsonObject
            {
                ["Destinations"] = new JsonObject { ["d"] = new JsonObject { ["Address"] = address } },
            };
            if (activeHealth)
            {
                cluster["HealthCheck"] = new JsonObject
                {
                    ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:00.200", ["Timeout"] = "00:00:01", ["Path"] = "/ready" },
                };
            }

            clusterNodes[id] = cluster;
        }

        var root = new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["all"] = new JsonObject { ["ClusterId"] = "stable", ["Match"] = new JsonObject { ["Path"] = "/{**catch-all}" } },
                },
                ["Clusters"] = clusterNodes,
            },
        };
        if (split is not null)
        {
            root["LbProxy"] = new JsonObject { ["Splits"] = new JsonObject { ["all"] = split } };
        }

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static JsonObject Weights(params (string Cluster, int Weight)[] weights) =>
        new(weights.Select(w => KeyValuePair.Create(w.Cluster, (JsonNode?)w.Weight)));
}
