using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Hardening;

/// <summary>Puts <see cref="ServerLimitsOptions"/> onto the proxy listener's Kestrel (the admin listener keeps Kestrel's).</summary>
internal static class KestrelLimits
{
    public static void Apply(KestrelServerOptions kestrel, ServerLimitsOptions limits)
    {
        var k = kestrel.Limits;
        k.RequestHeadersTimeout = TimeSpan.FromSeconds(limits.RequestHeadersTimeoutSeconds);
        k.KeepAliveTimeout = TimeSpan.FromSeconds(limits.KeepAliveTimeoutSeconds);
        var grace = TimeSpan.FromSeconds(limits.MinDataRateGraceSeconds);
        k.MinRequestBodyDataRate = limits.MinRequestBodyBytesPerSecond > 0 ? new MinDataRate(limits.MinRequestBodyBytesPerSecond, grace) : null;
        k.MinResponseDataRate = limits.MinResponseBytesPerSecond > 0 ? new MinDataRate(limits.MinResponseBytesPerSecond, grace) : null;
        k.MaxConcurrentConnections = limits.MaxConcurrentConnections > 0 ? limits.MaxConcurrentConnections : null;
        k.MaxRequestLineSize = limits.MaxRequestLineBytes;
        k.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersBytes;
        k.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
        k.MaxRequestBodySize = limits.MaxRequestBodyBytes > 0 ? limits.MaxRequestBodyBytes : null;
        // Kestrel's request buffer must hold a whole request line and head.
        k.MaxRequestBufferSize = Math.Max(k.MaxRequestBufferSize ?? 0, Math.Max(limits.MaxRequestLineBytes, limits.MaxRequestHeadersBytes));
    }
}
