namespace Gateway.Upstream;

/// <summary>Which HTTP client a cluster's requests go through (cluster Metadata "UpstreamClient").</summary>
public enum UpstreamClientKind
{
    /// <summary>The project's own HTTP/1.1 client for http:// destinations; anything it does not handle goes to SocketsHttpHandler.</summary>
    Lean,

    /// <summary>SocketsHttpHandler for everything, as stock YARP.</summary>
    Sockets,
}
