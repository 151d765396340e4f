using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>
/// The single config model: YARP routes and clusters plus LbProxy's own options. A config file, an nginx.conf
/// translation and the embedded default all end up as one of these.
/// </summary>
public sealed record GatewayConfig(
    IReadOnlyList<RouteConfig> Routes,
    IReadOnlyList<ClusterConfig> Clusters,
    LbProxyOptions Options,
    string Source);
