using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace Gateway.LoadBalancing;

/// <summary>
/// Where a ConsistentHash cluster takes its key from (cluster <c>Metadata.HashKey</c>):
/// <c>header:NAME</c> | <c>cookie:NAME</c> | <c>query:NAME</c> | <c>path</c> | <c>client-ip</c>.
/// </summary>
public sealed record HashKeySpec(HashKeySource Source, string Name)
{
    public const string MetadataKey = "HashKey";
    public const string BalanceFactorMetadataKey = "HashBalanceFactor";
    public const string Syntax = "header:NAME | cookie:NAME | query:NAME | path | client-ip";

    public static bool TryParse(string? text, [NotNullWhen(true)] out HashKeySpec? spec)
    {
        spec = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? text : text[..colon];
        var name = colon < 0 ? "" : text[(colon + 1)..].Trim();
        spec = kind.Trim().ToLowerInvariant() switch
        {
            "header" when name.Length > 0 => new HashKeySpec(HashKeySource.Header, name),
            "cookie" when name.Length > 0 => new HashKeySpec(HashKeySource.Cookie, name),
            "query" when name.Length > 0 => new HashKeySpec(HashKeySource.Query, name),
            "path" when colon < 0 => new HashKeySpec(HashKeySource.Path, ""),
            "client-ip" when colon < 0 => new HashKeySpec(HashKeySource.ClientIp, ""),
            _ => null,
        };
        return spec is not null;
    }

    /// <summary>Hashes the request's key; false when the request has none (then the cluster balances round-robin).</summary>
    public bool TryHash(HttpContext context, out ulong hash)
    {
        hash = 0;
        switch (Source)
        {
            case HashKeySource.Header:
                return TryHashText(context.Request.Headers[Name].ToString(), out hash);
            case HashKeySource.Cookie:
                return TryHashText(context.Request.Cookies[Name], out hash);
            case HashKeySource.Query:
                return TryHashText(context.Request.Query[Name].ToString(), out hash);
            case HashKeySource.Path:
                return TryHashText(context.Request.Path.Value, out hash);
            case HashKeySource.ClientIp:
                var ip = context.Connection.RemoteIpAddress;
                Span<byte> bytes = stackalloc byte[16];
                if (ip is null || !ip.TryWriteBytes(bytes, out var written))
                {
                    return false;
                }

                hash = ConsistentHashRing.HashKey(bytes[..written]);
                return true;
            default:
                return false;
        }
    }

    public override string ToString() => Name.Length == 0
        ? (Source == HashKeySource.Path ? "path" : "client-ip")
        : $"{Source.ToString().ToLowerInvariant()}:{Name}";

    private static bool TryHashText(string? text, out ulong hash)
    {
        hash = string.IsNullOrEmpty(text) ? 0 : ConsistentHashRing.HashKey(text.AsSpan());
        return !string.IsNullOrEmpty(text);
    }
}
