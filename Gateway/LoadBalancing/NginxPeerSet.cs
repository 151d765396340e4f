using Microsoft.AspNetCore.Http;

namespace Gateway.LoadBalancing;

/// <summary>
/// What nginx's hash and random methods need of one <see cref="ClusterSnapshot"/>, made once per snapshot: every
/// destination in config order with its weight, which are usable (available and not marked <c>Down</c>), the server
/// names for the ketama ring.
/// </summary>
internal sealed class NginxPeerSet
{
    /// <summary>Destination metadata: "true" keeps the peer in the hash layout but never picks it (nginx <c>down</c>).</summary>
    public const string DownMetadataKey = "Down";

    /// <summary>Destination metadata: the server as written in nginx.conf (the ketama points are made from it).</summary>
    public const string ServerMetadataKey = "NginxServer";

    private volatile Built? _built;

    // The cluster's Metadata.HashKey parsed once per metadata (a reload brings new metadata), not per request.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyDictionary<string, string>, ParsedSpec> s_specs = [];

    private sealed record ParsedSpec(HashKeySpec? Spec);

    public Built For(ClusterSnapshot snapshot) => _built ??= new Built(snapshot);

    /// <summary>The request's hash key: the nginx front's, else the cluster's Metadata.HashKey source, else none.</summary>
    public static string KeyOf(HttpContext context, IReadOnlyDictionary<string, string>? clusterMetadata)
    {
        if (context.Features.Get<RequestHashKeyFeature>() is { } feature)
        {
            return feature.Key;
        }

        if (clusterMetadata is null || s_specs.GetValue(clusterMetadata, static m => new ParsedSpec(
                m.TryGetValue(HashKeySpec.MetadataKey, out var text) && HashKeySpec.TryParse(text, out var parsed) ? parsed : null)).Spec is not { } spec)
        {
            return "";
        }

        return spec.Source switch
        {
            HashKeySource.Header => context.Request.Headers[spec.Name].ToString(),
            HashKeySource.Cookie => context.Request.Cookies[spec.Name] ?? "",
            HashKeySource.Query => context.Request.Query[spec.Name].ToString(),
            HashKeySource.Path => context.Request.Path.Value ?? "",
            _ => context.Connection.RemoteIpAddress?.ToString() ?? "",
        };
    }

    internal sealed class Built
    {
        private NginxKetamaRing? _ring;

        public Built(ClusterSnapshot snapshot)
        {
            Snapshot = snapshot;
            var n = snapshot.All.Length;
            var usable = new bool[n];
            var weights = new int[n];
            Servers = new string[n];
            for (var i = 0; i < n; i++)
            {
                var metadata = snapshot.AllStates[i].Model.Config.Metadata;
                var down = metadata?.TryGetValue(DownMetadataKey, out var d) == true && bool.TryParse(d, out var isDown) && isDown;
                usable[i] = snapshot.IsAvailable[i] && !down;
                weights[i] = Math.Max(1, snapshot.All[i].Weight);
                Servers[i] = metadata?.GetValueOrDefault(ServerMetadataKey) ?? snapshot.AllStates[i].Model.Config.Address;
            }

            Peers = new NginxPeers(weights, usable);
        }

        public ClusterSnapshot Snapshot { get; }

        public NginxPeers Peers { get; }

        public string[] Servers { get; }

        public NginxKetamaRing Ring => _ring ??= new NginxKetamaRing(Servers, Peers.Weights);

        /// <summary>
        /// The destination for a core's pick: the peer itself, or nginx's fallback (after 20 fruitless rehashes or draws,
        /// an empty key, one peer): its round-robin, <paramref name="roundRobin"/> (the cluster's current and effective
        /// weights), among the usable peers <paramref name="allowed"/> allows (a mask over every peer; empty = all).
        /// </summary>
        public Yarp.ReverseProxy.Model.DestinationState? Resolve(int peer, NginxRoundRobinState roundRobin, ReadOnlySpan<bool> allowed = default)
        {
            if (peer >= 0)
            {
                return Snapshot.AllStates[peer];
            }

            var n = Peers.Count;
            Span<bool> usable = n <= CandidateMask.StackLimit ? stackalloc bool[n] : new bool[n];
            for (var i = 0; i < n; i++)
            {
                usable[i] = Peers.CanUse(i, allowed);
            }

            var index = roundRobin.Pick(Snapshot.All, usable, leastConn: false);
            return index < 0 ? null : Snapshot.AllStates[index];
        }
    }
}
