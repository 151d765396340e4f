namespace Gateway.Config.Nginx;

/// <summary>
/// What <c>proxy_pass</c> names: the YARP route (and so cluster) that carries the request, $proxy_host/$proxy_port,
/// and the URI part. Without one the client's URI goes unchanged; a URI part without variables replaces the part of
/// the URI the location matched; one with variables is the whole upstream URI (nginx's rules).
/// </summary>
public sealed record NginxProxyTarget(string RouteId, string ClusterId, string ProxyHost, string ProxyPort, NginxTemplate? Uri, NginxTemplate? HashKey)
{
    /// <summary>The upstream's name as nginx reports it in $upstream_addr when no server was live (host:port for a literal).</summary>
    public string UpstreamName { get; init; } = ClusterId;
}
