using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>hash KEY</c> without <c>consistent</c> (ngx_http_upstream_hash_module.c), compatible with
/// Cache::Memcached: each step adds ((crc32([REHASH] KEY) &gt;&gt; 16) &amp; 0x7fff) to the running hash, REHASH being
/// the step number from the second step on; the running hash mod total weight walks the peers by weight. A peer
/// that cannot be used takes another step; after 20 nginx falls back to round-robin, as it does for an empty key
/// or a single peer.
/// </summary>
public static class NginxHash
{
    public static int Pick(string key, NginxPeers peers)
    {
        if (key.Length == 0 || peers.Count < 2)
        {
            return NginxIpHash.FallBack;
        }

        var keyBytes = Encoding.UTF8.GetBytes(key);
        var total = peers.TotalWeight;
        long hash = 0;
        var crc = new Crc32();
        for (var rehash = 0; rehash <= 20; rehash++)
        {
            crc.Reset();
            if (rehash > 0)
            {
                crc.Append(Encoding.ASCII.GetBytes(rehash.ToString(CultureInfo.InvariantCulture)));
            }

            crc.Append(keyBytes);
            hash += (crc.GetCurrentHashAsUInt32() >> 16) & 0x7fff;
            var p = peers.AtWeight(hash % total);
            if (peers.Usable[p])
            {
                return p;
            }
        }

        return NginxIpHash.FallBack;
    }
}
