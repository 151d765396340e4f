using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>Edits a config file's JSON text: adds or replaces parts of it (the LbProxy section, a cluster's metadata).</summary>
public static class ConfigJson
{
    public static string Edit(string json, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        edit(root);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Sets <c>LbProxy.NAME</c> to <paramref name="value"/>.</summary>
    public static string WithLbProxy(string json, string name, JsonNode value) => Edit(json, root =>
    {
        var lbProxy = root["LbProxy"] as JsonObject ?? new JsonObject();
        root["LbProxy"] = lbProxy;
        lbProxy[name] = value;
    });
}
