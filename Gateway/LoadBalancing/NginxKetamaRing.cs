using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Gateway.LoadBalancing;

/// <summary>
/// nginx <c>hash KEY consistent</c> (ngx_http_upstream_hash_module.c, ketama as in Cache::Memcached::Fast): each
/// peer gets 160 points per unit of weight; point j is crc32(HOST \0 PORT prev) with prev the previous point's
/// four bytes (little-endian, 0 for the first), HOST and PORT split from the server as written in the config. Points
/// are sorted and duplicates dropped. A key goes to the first point at or after crc32(KEY), wrapping; a peer that
/// cannot be used moves the search one point on, at most 20 times, then nginx falls back to round-robin.
/// Same server text and weights give the same placement as nginx, so a migrated cache tier keeps its keys.
/// </summary>
public sealed class NginxKetamaRing
{
    public const int PointsPerWeight = 160;

    private readonly uint[] _hashes;
    private readonly int[] _peers;

    public NginxKetamaRing(IReadOnlyList<string> servers, IReadOnlyList<int> weights)
    {
        var points = new List<(uint Hash, int Peer)>();
        Span<byte> prev = stackalloc byte[4];
        for (var peer = 0; peer < servers.Count; peer++)
        {
            var (host, port) = Split(servers[peer]);
            var prefix = Encoding.UTF8.GetBytes(host + "\0" + port);
            uint previous = 0;
            for (var j = 0; j < weights[peer] * PointsPerWeight; j++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(prev, previous);
                var crc = new Crc32();
                crc.Append(prefix);
                crc.Append(prev);
                previous = crc.GetCurrentHashAsUInt32();
                points.Add((previous, peer));
            }
        }

        // nginx sorts by hash only (its qsort is not stable); among equal hashes the first kept one wins. Equal hashes
        // from different peers are rare enough (2^-32 per pair) that the order among them does not matter in practice.
        points.Sort((a, b) => a.Hash.CompareTo(b.Hash));
        var unique = points.Where((p, i) => i == 0 || p.Hash != points[i - 1].Hash).ToList();
        _hashes = unique.Select(p => p.Hash).ToArray();
        _peers = unique.Select(p => p.Peer).ToArray();
    }

    public int PointCount => _hashes.Length;

    public int Pick(string key, NginxPeers peers, ReadOnlySpan<bool> allowed = default)
    {
        if (key.Length == 0 || peers.Count < 2 || _hashes.Length == 0)
        {
            return NginxIpHash.FallBack;
        }

        var hash = NginxHash.Crc32Of(key);
        var point = FirstAtOrAfter(hash);
        for (var tries = 0; tries <= 20; tries++, point++)
        {
            var peer = _peers[point % _hashes.Length];
            if (peers.CanUse(peer, allowed))
            {
                return peer;
            }
        }

        return NginxIpHash.FallBack;
    }

    private int FirstAtOrAfter(uint hash)
    {
        int i = 0, j = _hashes.Length;
        while (i < j)
        {
            var k = (i + j) / 2;
            if (hash > _hashes[k])
            {
                i = k + 1;
            }
            else if (hash < _hashes[k])
            {
                j = k;
            }
            else
            {
                return k;
            }
        }

        return i;
    }

    /// <summary>nginx: trailing digits after the last ':' are the port; "unix:" paths have none.</summary>
    private static (string Host, string Port) Split(string server)
    {
        if (server.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            return (server[5..], "");
        }

        for (var j = server.Length - 1; j >= 0; j--)
        {
            var c = server[j];
            if (c == ':')
            {
                return (server[..j], server[(j + 1)..]);
            }

            if (c is < '0' or > '9')
            {
                break;
            }
        }

        return (server, "");
    }
}
