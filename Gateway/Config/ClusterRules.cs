using System.Globalization;
using Gateway.LoadBalancing;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>LbProxy's checks of a cluster: policy name, weights, hash key, balance factor, addresses.</summary>
internal static class ClusterRules
{
    /// <summary>nginx balances round-robin unless told otherwise, so an unset policy means RoundRobin.</summary>
    public static string CanonicalPolicy(string? name) =>
        string.IsNullOrWhiteSpace(name)
            ? LoadBalancingPolicyNames.RoundRobin
            : LoadBalancingPolicyNames.All.FirstOrDefault(p => string.Equals(p, name.Trim(), StringComparison.OrdinalIgnoreCase)) ?? name;

    public static void Validate(ClusterConfig cluster, string path, Action<string, string, string> report, bool fedByFleet = false)
    {
        var policy = cluster.LoadBalancingPolicy!;
        if (!LoadBalancingPolicyNames.All.Contains(policy))
        {
            report(path + ":LoadBalancingPolicy", $"cluster '{cluster.ClusterId}' has LoadBalancingPolicy '{policy}', which is not a policy.",
                $"use one of {string.Join(", ", LoadBalancingPolicyNames.All)}.");
        }

        var metadata = cluster.Metadata ?? new Dictionary<string, string>();
        metadata.TryGetValue(HashKeySpec.MetadataKey, out var hashKey);
        if (hashKey is not null && !HashKeySpec.TryParse(hashKey, out _))
        {
            report(path + ":Metadata:HashKey", $"cluster '{cluster.ClusterId}' has Metadata.HashKey '{hashKey}', which is not a key source.",
                $"use {HashKeySpec.Syntax}.");
        }
        else if (hashKey is null && policy == LoadBalancingPolicyNames.ConsistentHash)
        {
            report(path + ":LoadBalancingPolicy", $"cluster '{cluster.ClusterId}' uses ConsistentHash but has no Metadata.HashKey.",
                $"add \"Metadata\": {{ \"HashKey\": \"header:X-Session-Id\" }} (one of {HashKeySpec.Syntax}).");
        }

        if (metadata.TryGetValue(HashKeySpec.BalanceFactorMetadataKey, out var factor)
            && !(int.TryParse(factor, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && (percent == 0 || percent > 100)))
        {
            report(path + ":Metadata:HashBalanceFactor", $"cluster '{cluster.ClusterId}' has Metadata.HashBalanceFactor '{factor}'.",
                "use an integer percent above 100 (125 = no destination above 1.25x the mean load), or 0 for no bound.");
        }

        Upstream.UpstreamClientChoice.Validate(cluster, path, report);
        if (metadata.TryGetValue(Upstream.LeanForwarder.MetadataKey, out var leanForwarder)
            && !leanForwarder.Equals("on", StringComparison.OrdinalIgnoreCase) && !leanForwarder.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            report(path + ":Metadata:" + Upstream.LeanForwarder.MetadataKey,
                $"cluster '{cluster.ClusterId}' has Metadata.{Upstream.LeanForwarder.MetadataKey} '{leanForwarder}', which is neither on nor off.",
                "use \"off\" (YARP's forwarder for every request) or \"on\" (the default: the gateway's own for plain bodiless requests).");
        }

        Tls.UpstreamTls.Validate(cluster, path, report);

        if (cluster.Destinations is null || cluster.Destinations.Count == 0)
        {
            if (fedByFleet)
            {
                return; // the local fleet adds its workers as they become ready
            }

            report(path, $"cluster '{cluster.ClusterId}' has no destinations.",
                "add \"Destinations\": { \"d1\": { \"Address\": \"http://127.0.0.1:5001\" } }.");
            return;
        }

        foreach (var (id, destination) in cluster.Destinations)
        {
            var destinationPath = $"{path}:Destinations:{id}";
            if (destination is null || !Uri.TryCreate(destination.Address, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                report(destinationPath + ":Address", $"destination '{id}' of cluster '{cluster.ClusterId}' has Address '{destination?.Address}', which is not an http(s) URL.",
                    "write an absolute URL such as \"http://127.0.0.1:5001\".");
            }

            if (destination?.Metadata is { } destinationMetadata
                && destinationMetadata.TryGetValue(DestinationStatsRegistry.WeightMetadataKey, out var weight)
                && DestinationStatsRegistry.ParseWeight(destinationMetadata) is null)
            {
                report(destinationPath + ":Metadata:Weight", $"destination '{id}' of cluster '{cluster.ClusterId}' has Metadata.Weight '{weight}'; a weight is an integer >= 1.",
                    "set \"Weight\": 1 or more, or remove it for the default weight 1.");
            }
        }
    }
}
