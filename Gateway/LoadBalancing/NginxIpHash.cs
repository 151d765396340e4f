namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>ip_hash</c> (ngx_http_upstream_ip_hash_module.c): the first three octets of an IPv4 client (all
/// sixteen bytes of IPv6) drive hash = (hash x 113 + octet) mod 6271 from 89; hash mod total weight walks the peers
/// by weight. A peer that cannot be used rehashes from where the hash stands; after 20 such steps nginx falls back to
/// round-robin (<see cref="FallBack"/>).
/// </summary>
public static class NginxIpHash
{
    public const int FallBack = -1;

    public static int Pick(ReadOnlySpan<byte> address, NginxPeers peers, ReadOnlySpan<bool> allowed = default)
    {
        if (peers.Count == 0)
        {
            return FallBack;
        }

        // An IPv4-mapped IPv6 address is the IPv4 client it carries (nginx sees AF_INET there).
        var octets = address.Length == 16 && address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xff && address[11] == 0xff
            ? address[12..15]
            : address.Length == 4 ? address[..3] : address;
        var total = peers.TotalWeight;
        long hash = 89;
        for (var tries = 0; tries <= 20; tries++)
        {
            foreach (var octet in octets)
            {
                hash = ((hash * 113) + octet) % 6271;
            }

            var p = peers.AtWeight(hash % total);
            if (peers.CanUse(p, allowed))
            {
                return p;
            }
        }

        return FallBack;
    }
}
