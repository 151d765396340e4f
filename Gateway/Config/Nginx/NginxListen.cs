using System.Net;

namespace Gateway.Config.Nginx;

/// <summary>A <c>listen</c>: address (null = every address) and port, and whether it is the default server there.</summary>
public sealed record NginxListen(IPAddress? Address, int Port, bool DefaultServer)
{
    public string Url => Address is null ? $"http://0.0.0.0:{Port}"
        : Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"http://[{Address}]:{Port}" : $"http://{Address}:{Port}";

    public bool Accepts(IPAddress? local, int port) =>
        port == Port && (Address is null || local is null || Address.Equals(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local)
            || IPAddress.Any.Equals(Address) || IPAddress.IPv6Any.Equals(Address));
}
