using System.Net;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Discovery;

/// <summary>
/// One destination per resolved address, named by the address so the same pod keeps its statistics across
/// refreshes. The Host header stays the name that was resolved, as YARP's own DNS resolver does.
/// </summary>
internal static class DnsDestinations
{
    public static Dictionary<string, DestinationConfig> From(IEnumerable<IPAddress> addresses, DiscoveryOptions options)
    {
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var address in addresses.Distinct())
        {
            var url = DestinationAddress.Url(options.Scheme, address.ToString(), options.Port);
            destinations[url[(options.Scheme.Length + 3)..]] = new DestinationConfig { Address = url, Host = options.Host };
        }

        return destinations;
    }
}
