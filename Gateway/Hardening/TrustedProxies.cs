using System.Net;
using Microsoft.Extensions.Primitives;

namespace Gateway.Hardening;

/// <summary>
/// <c>LbProxy.TrustedProxies</c>: the networks whose X-Forwarded-For the gateway believes. From anyone else the header
/// is neither used nor passed on. The client is the right-most address in the header that is not itself trusted,
/// the rule of nginx's realip with <c>real_ip_recursive on</c> and of ASP.NET Core's ForwardedHeaders with
/// known networks: entries left of it were written by the client and could say anything.
/// </summary>
public sealed class TrustedProxies
{
    public static readonly TrustedProxies None = new([]);

    public TrustedProxies(IReadOnlyList<IPNetwork> networks) => Networks = networks;

    public IReadOnlyList<IPNetwork> Networks { get; }

    public bool IsEmpty => Networks.Count == 0;

    /// <summary>Parses "10.0.0.0/8", "192.168.1.7", "::1" or "fd00::/8"; false for anything else.</summary>
    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.TryParse(text, out network);
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in Networks)
        {
            if (network.Contains(a))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The client behind <paramref name="peer"/>: null when the peer is not trusted or the header is empty; otherwise
    /// the right-most untrusted address of <paramref name="forwardedFor"/> (every value, comma-separated), the left-most
    /// when all are trusted, or the last good one when an entry cannot be read (what follows it is not believed).
    /// </summary>
    public IPAddress? ClientAddress(IPAddress? peer, StringValues forwardedFor)
    {
        if (peer is null || IsEmpty || forwardedFor.Count == 0 || !Contains(peer))
        {
            return null;
        }

        IPAddress? client = null;
        for (var v = forwardedFor.Count - 1; v >= 0; v--)
        {
            var entries = (forwardedFor[v] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            for (var i = entries.Length - 1; i >= 0; i--)
            {
                if (!TryParseEntry(entries[i], out var address))
                {
                    return client;
                }

                client = address;
                if (!Contains(address))
                {
                    return client;
                }
            }
        }

        return client;
    }

    /// <summary>An address, or an address with a port ("203.0.113.7:5123", "[2001:db8::1]:443"), as proxies write them.</summary>
    private static bool TryParseEntry(string entry, out IPAddress address)
    {
        if (IPAddress.TryParse(entry, out address!))
        {
            return true;
        }

        if (IPEndPoint.TryParse(entry, out var endPoint))
        {
            address = endPoint.Address;
            return true;
        }

        return false;
    }
}
