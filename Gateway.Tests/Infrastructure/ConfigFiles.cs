using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>Writes gateway config files for tests: one catch-all route to one cluster.</summary>
public static class ConfigFiles
{
    public static string Cluster(string policy, IEnumerable<TestBackend> backends, IReadOnlyDictionary<string, int>? weights = null,
        IReadOnlyDictionary<string, string>? clusterMetadata = null)
    {
        var destinations = new JsonObject();
        foreach (var backend in backends)
        {
            var destination = new JsonObject { ["Address"] = backend.Url };
            if (weights?.TryGetValue(backend.Name, out var weight) == true)
            {
                destination["Metadata"] = new JsonObject { ["Weight"] = weight };
            }

            destinations[backend.Name] = destination;
        }

        var cluster = new JsonObject { ["LoadBalancingPolicy"] = policy, ["Destinations"] = destinations };
        if (clusterMetadata is not null)
        {
            cluster["Metadata"] = new JsonObject(clusterMetadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        }

        var root = new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["all"] = new JsonObject { ["ClusterId"] = "backends", ["Match"] = new JsonObject { ["Path"] = "/{**catch-all}" } },
                },
                ["Clusters"] = new JsonObject { ["backends"] = cluster },
            },
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }
}
