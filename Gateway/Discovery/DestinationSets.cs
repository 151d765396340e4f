using Yarp.ReverseProxy.Configuration;

namespace Gateway.Discovery;

internal static class DestinationSets
{
    /// <summary>Same ids with the same addresses: publishing again would change nothing.</summary>
    public static bool Same(IReadOnlyDictionary<string, DestinationConfig>? a, IReadOnlyDictionary<string, DestinationConfig> b) =>
        a is not null && a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value.Equals(other));
}
