using System.Net;

namespace Gateway.Hardening;

/// <summary>Reads <c>LbProxy.TrustedProxies</c> (CIDRs or single addresses), each bad entry reported at its line.</summary>
internal static class TrustedProxiesRules
{
    public static TrustedProxies Bind(IReadOnlyList<string>? entries, string path, Action<string, string, string> report)
    {
        if (entries is null || entries.Count == 0)
        {
            return TrustedProxies.None;
        }

        var networks = new List<IPNetwork>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (TrustedProxies.TryParseNetwork(entries[i], out var network))
            {
                networks.Add(network);
            }
            else
            {
                report($"{path}:{i}", $"LbProxy.TrustedProxies[{i}] is '{entries[i]}', which is not an address or a CIDR network.",
                    "write an address (\"10.1.2.3\", \"::1\") or a network with its prefix length (\"10.0.0.0/8\", \"fd00::/8\"), with no host bits set.");
            }
        }

        return new TrustedProxies(networks);
    }
}
