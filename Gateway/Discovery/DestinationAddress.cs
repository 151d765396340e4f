using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Discovery;

/// <summary>A discovered address as a destination URL: IPv6 literals in brackets, as URLs need them.</summary>
internal static class DestinationAddress
{
    public static string Url(string scheme, string host, int port)
    {
        var literal = IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : host;
        return string.Create(CultureInfo.InvariantCulture, $"{scheme}://{literal}:{port}");
    }
}
