using System.Net;

namespace Gateway.Config.Nginx;

/// <summary>
/// A <c>listen</c>: address (null = every address) and port, whether it is the default server there, and the socket's
/// <c>ssl</c> and <c>http2</c> flags (nginx keeps them per socket: one server's <c>listen 443 ssl</c> makes the
/// socket TLS for every server on it).
/// </summary>
public sealed record NginxListen(IPAddress? Address, int Port, bool DefaultServer)
{
    public bool Ssl { get; init; }

    public bool Http2 { get; init; }

    public string Url => $"{(Ssl ? "https" : "http")}://{Authority}";

    /// <summary>address:port as Kestrel binds it, the socket's identity.</summary>
    public string Authority => Address is null ? $"0.0.0.0:{Port}"
        : Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    public bool Accepts(IPAddress? local, int port) =>
        port == Port && (Address is null || local is null || Address.Equals(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local)
            || IPAddress.Any.Equals(Address) || IPAddress.IPv6Any.Equals(Address));
}
