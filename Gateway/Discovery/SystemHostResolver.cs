using System.Net;
using System.Net.Sockets;

namespace Gateway.Discovery;

/// <summary>The operating system's resolver (in a pod: the cluster DNS, through /etc/resolv.conf).</summary>
internal sealed class SystemHostResolver : IHostResolver
{
    public static readonly SystemHostResolver Instance = new();

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, AddressFamily.Unspecified, cancellationToken);
}
