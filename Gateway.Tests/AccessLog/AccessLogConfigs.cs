using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.AccessLog;

/// <summary>Test configs: <see cref="ConfigFiles.Cluster"/> plus an <c>LbProxy.AccessLog</c> section and extra routes.</summary>
internal static class AccessLogConfigs
{
    /// <param name="logs">Log name to (path, format).</param>
    /// <param name="listeners">Listener key ("*" or a port) to log name.</param>
    /// <param name="routeLogs">Extra routes: path prefix to the route's Metadata.AccessLog (null = none).</param>
    public static string With(string baseConfig, IReadOnlyDictionary<string, (string Path, string Format)> logs,
        IReadOnlyDictionary<string, string>? listeners = null, IReadOnlyDictionary<string, string?>? routeLogs = null, int? queueLines = null)
    {
        var root = JsonNode.Parse(baseConfig)!.AsObject();
        var section = new JsonObject
        {
            ["Logs"] = new JsonObject(logs.Select(kv => KeyValuePair.Create(kv.Key,
                (JsonNode?)new JsonObject { ["Path"] = kv.Value.Path, ["Format"] = kv.Value.Format }))),
        };
        if (listeners is not null)
        {
            section["Listeners"] = new JsonObject(listeners.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        }

        if (queueLines is { } lines)
        {
            section["QueueLines"] = lines;
        }

        root["LbProxy"] = new JsonObject { ["AccessLog"] = section };
        var routes = root["ReverseProxy"]!["Routes"]!.AsObject();
        foreach (var (prefix, log) in routeLogs ?? new Dictionary<string, string?>())
        {
            var route = new JsonObject
            {
                ["ClusterId"] = "backends",
                ["Match"] = new JsonObject { ["Path"] = prefix + "/{**rest}" },
            };
            if (log is not null)
            {
                route["Metadata"] = new JsonObject { ["AccessLog"] = log };
            }

            routes["r" + prefix.Trim('/')] = route;
        }

        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The file's lines once it has at least <paramref name="count"/> (the writer is asynchronous; at most 10 s).</summary>
    public static async Task<string[]> LinesAsync(string path, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var lines = File.Exists(path) ? await File.ReadAllLinesAsync(path) : [];
            if (lines.Length >= count || DateTime.UtcNow > deadline)
            {
                return lines;
            }

            await Task.Delay(20);
        }
    }
}
