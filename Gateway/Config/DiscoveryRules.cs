using Gateway.Discovery;

namespace Gateway.Config;

/// <summary>Checks <c>LbProxy.Discovery</c>: each entry names a defined cluster and has what its source needs.</summary>
internal static class DiscoveryRules
{
    public static IReadOnlyDictionary<string, DiscoveryOptions> Bind(Dictionary<string, DiscoveryOptions>? section, ISet<string> clusterIds,
        string? fleetClusterId, string path, Action<string, string, string> report)
    {
        var result = new Dictionary<string, DiscoveryOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, options) in section ?? [])
        {
            var at = $"{path}:{id}";
            if (!clusterIds.Contains(id))
            {
                report(at, $"LbProxy.Discovery has settings for cluster '{id}', which is not defined.",
                    $"use a cluster id from ReverseProxy:Clusters ({string.Join(", ", clusterIds)}).");
                continue;
            }

            if (string.Equals(id, fleetClusterId, StringComparison.OrdinalIgnoreCase))
            {
                report(at, $"cluster '{id}' is fed by the local fleet (LbProxy.Fleet) and cannot also be discovered.",
                    "discover another cluster, or remove one of LbProxy.Fleet and this entry.");
                continue;
            }

            if (options is null)
            {
                report(at, $"LbProxy.Discovery.{id} is null.", "write { \"Source\": \"Dns\", \"Host\": \"NAME\", \"Port\": 8000 } or { \"Source\": \"EndpointSlice\", \"Service\": \"NAME\" }.");
                continue;
            }

            var before = 0;
            void Check(bool ok, string name, string problem, string fix)
            {
                if (!ok)
                {
                    before++;
                    report($"{at}:{name}", $"LbProxy.Discovery.{id}.{name} {problem}", fix);
                }
            }

            Check(options.Scheme is "http" or "https", "Scheme", $"is '{options.Scheme}'; it must be http or https.", "set \"Scheme\": \"http\" or remove it.");
            Check(options.Port is >= 0 and <= 65535, "Port", $"is {options.Port}; it must be a port from 1 to 65535.", "set the port the destinations listen on.");
            if (options.Source == DiscoverySource.Dns)
            {
                Check(!string.IsNullOrWhiteSpace(options.Host) && Uri.CheckHostName(options.Host) != UriHostNameType.Unknown, "Host",
                    $"is '{options.Host}'; DNS discovery needs a host name to resolve.", "set \"Host\": \"my-service.my-namespace.svc.cluster.local\" (a headless Service).");
                Check(options.Port > 0, "Port", "is missing; DNS records carry no port.", "set \"Port\": 8000 (the port the destinations listen on).");
                Check(options.RefreshSeconds >= 0.1, "RefreshSeconds", $"is {options.RefreshSeconds}; it must be at least 0.1 seconds.", "set it to 5, or remove it for the default.");
            }
            else
            {
                Check(!string.IsNullOrWhiteSpace(options.Service), "Service", "is missing; EndpointSlice discovery watches one Service's slices.",
                    "set \"Service\": \"my-service\" (its namespace in \"Namespace\", or the gateway's own).");
                Check(options.ApiServer is null || (Uri.TryCreate(options.ApiServer, UriKind.Absolute, out var api) && api.Scheme is "http" or "https"), "ApiServer",
                    $"is '{options.ApiServer}', which is not an http(s) URL.", "remove it to use the in-cluster service account, or set the URL of kubectl proxy.");
            }

            if (before == 0)
            {
                result[id] = options;
            }
        }

        return result;
    }

    /// <summary>The same clusters with the same settings (discovery is read at start-up, so a change needs a restart).</summary>
    public static bool Same(IReadOnlyDictionary<string, DiscoveryOptions> a, IReadOnlyDictionary<string, DiscoveryOptions> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value == other);
}
