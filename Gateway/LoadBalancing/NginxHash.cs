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
    private const int StackLimit = 512;

    /// <summary>crc32 of the key's UTF-8 bytes (nothing allocated for keys up to the stack limit).</summary>
    public static uint Crc32Of(string key)
    {
        var length = Encoding.UTF8.GetByteCount(key);
        Span<byte> bytes = length <= StackLimit ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(key, bytes);
        return Crc32.HashToUInt32(bytes);
    }

    public static int Pick(string key, NginxPeers peers, ReadOnlySpan<bool> allowed = default)
    {
        if (key.Length == 0 || peers.Count < 2)
        {
            return NginxIpHash.FallBack;
        }

        // "[REHASH]KEY" in one buffer, the step number (at most two digits) written before the key: nothing allocated
        // for keys up to the stack limit.
        var length = Encoding.UTF8.GetByteCount(key);
        Span<byte> buffer = length + 2 <= StackLimit ? stackalloc byte[length + 2] : new byte[length + 2];
        var keyBytes = buffer[2..];
        Encoding.UTF8.GetBytes(key, keyBytes);
        var total = peers.TotalWeight;
        long hash = 0;
        for (var rehash = 0; rehash <= 20; rehash++)
        {
            var start = rehash == 0 ? 2 : rehash < 10 ? 1 : 0;
            if (rehash > 0)
            {
                rehash.TryFormat(buffer[start..2], out _, default, CultureInfo.InvariantCulture);
            }

            hash += (Crc32.HashToUInt32(buffer[start..]) >> 16) & 0x7fff;
            var p = peers.AtWeight(hash % total);
            if (peers.CanUse(p, allowed))
            {
                return p;
            }
        }

        return NginxIpHash.FallBack;
    }
}
