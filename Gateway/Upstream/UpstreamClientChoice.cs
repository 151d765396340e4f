using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Upstream;

/// <summary>
/// Reads and checks a cluster's Metadata "UpstreamClient": "Lean" (the default) or "Sockets". Lean takes only the
/// requests it handles (see <see cref="LeanHttpHandler"/>); a cluster whose HttpClient settings ask for what Lean
/// does not implement (a connection cap, a web proxy, header encodings) uses SocketsHttpHandler unless Lean was named,
/// in which case the config is rejected rather than the setting silently ignored.
/// </summary>
internal static class UpstreamClientChoice
{
    public const string MetadataKey = "UpstreamClient";

    public static UpstreamClientKind For(IReadOnlyDictionary<string, string>? metadata, HttpClientConfig? client)
    {
        var named = Parse(metadata);
        if (named == UpstreamClientKind.Sockets)
        {
            return UpstreamClientKind.Sockets;
        }

        return Unsupported(client) is null ? UpstreamClientKind.Lean : UpstreamClientKind.Sockets;
    }

    /// <summary>The client named in the metadata; null when absent or not a known name.</summary>
    public static UpstreamClientKind? Parse(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(MetadataKey, out var value)
            ? Enum.TryParse<UpstreamClientKind>(value?.Trim(), ignoreCase: true, out var kind) && Enum.IsDefined(kind) ? kind : null
            : null;

    public static void Validate(ClusterConfig cluster, string path, Action<string, string, string> report)
    {
        if (cluster.Metadata is null || !cluster.Metadata.TryGetValue(MetadataKey, out var value))
        {
            return;
        }

        var kind = Parse(cluster.Metadata);
        if (kind is null || int.TryParse(value, out _))
        {
            report(path + ":Metadata:" + MetadataKey, $"cluster '{cluster.ClusterId}' has Metadata.{MetadataKey} '{value}', which is not an upstream client.",
                "use \"Lean\" (the gateway's own HTTP/1.1 client, the default) or \"Sockets\" (.NET's SocketsHttpHandler).");
        }
        else if (kind == UpstreamClientKind.Lean && Unsupported(cluster.HttpClient) is { } setting)
        {
            report(path + ":HttpClient:" + setting, $"cluster '{cluster.ClusterId}' names Metadata.{MetadataKey} 'Lean' but sets HttpClient.{setting}, which the lean client does not implement.",
                $"remove HttpClient.{setting}, or set Metadata.{MetadataKey} to \"Sockets\".");
        }
    }

    /// <summary>The first HttpClient setting the lean client does not implement, or null.</summary>
    private static string? Unsupported(HttpClientConfig? client) => client switch
    {
        null => null,
        { MaxConnectionsPerServer: not null } => nameof(HttpClientConfig.MaxConnectionsPerServer),
        { WebProxy: not null } => nameof(HttpClientConfig.WebProxy),
        { RequestHeaderEncoding: not null } => nameof(HttpClientConfig.RequestHeaderEncoding),
        { ResponseHeaderEncoding: not null } => nameof(HttpClientConfig.ResponseHeaderEncoding),
        _ => null,
    };
}
