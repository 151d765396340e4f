namespace Gateway.Hardening;

/// <summary>The checks of <c>LbProxy.ServerLimits</c>, every problem at once, each at its line.</summary>
internal static class ServerLimitsRules
{
    public static void Validate(ServerLimitsOptions? limits, string path, Action<string, string, string> report)
    {
        if (limits is null)
        {
            return;
        }

        void Check(bool ok, string name, string rule, object value, object defaultValue)
        {
            if (!ok)
            {
                report($"{path}:{name}", $"LbProxy.ServerLimits.{name} is {value}; it must be {rule}.", $"set it to {rule} (default {defaultValue}).");
            }
        }

        // Kestrel enforces time limits and data rates from a once-a-second heartbeat, so less than a second cannot hold.
        Check(limits.RequestHeadersTimeoutSeconds is >= 1 and <= 3600, nameof(limits.RequestHeadersTimeoutSeconds), "seconds from 1 to 3600",
            limits.RequestHeadersTimeoutSeconds, ServerLimitsOptions.DefaultRequestHeadersTimeoutSeconds);
        Check(limits.KeepAliveTimeoutSeconds is >= 1 and <= 86400, nameof(limits.KeepAliveTimeoutSeconds), "seconds from 1 to 86400",
            limits.KeepAliveTimeoutSeconds, ServerLimitsOptions.DefaultKeepAliveTimeoutSeconds);
        Check(limits.MinRequestBodyBytesPerSecond >= 0 && double.IsFinite(limits.MinRequestBodyBytesPerSecond), nameof(limits.MinRequestBodyBytesPerSecond),
            "bytes per second >= 0 (0 = off)", limits.MinRequestBodyBytesPerSecond, ServerLimitsOptions.DefaultMinRequestBodyBytesPerSecond);
        Check(limits.MinResponseBytesPerSecond >= 0 && double.IsFinite(limits.MinResponseBytesPerSecond), nameof(limits.MinResponseBytesPerSecond),
            "bytes per second >= 0 (0 = off)", limits.MinResponseBytesPerSecond, ServerLimitsOptions.DefaultMinResponseBytesPerSecond);
        Check(limits.MinDataRateGraceSeconds is > 1 and <= 3600, nameof(limits.MinDataRateGraceSeconds), "seconds above 1, at most 3600",
            limits.MinDataRateGraceSeconds, ServerLimitsOptions.DefaultMinDataRateGraceSeconds);
        Check(limits.MaxConcurrentConnections >= 0, nameof(limits.MaxConcurrentConnections), "an integer >= 0 (0 = no cap)",
            limits.MaxConcurrentConnections, ServerLimitsOptions.DefaultMaxConcurrentConnections);
        Check(limits.MaxRequestLineBytes is >= 64 and <= ServerLimitsOptions.MaxHeadBytes, nameof(limits.MaxRequestLineBytes),
            $"bytes from 64 to {ServerLimitsOptions.MaxHeadBytes}", limits.MaxRequestLineBytes, ServerLimitsOptions.DefaultMaxRequestLineBytes);
        Check(limits.MaxRequestHeadersBytes is >= 64 and <= ServerLimitsOptions.MaxHeadBytes, nameof(limits.MaxRequestHeadersBytes),
            $"bytes from 64 to {ServerLimitsOptions.MaxHeadBytes}", limits.MaxRequestHeadersBytes, ServerLimitsOptions.DefaultMaxRequestHeadersBytes);
        Check(limits.MaxRequestHeaderCount >= 1, nameof(limits.MaxRequestHeaderCount), "an integer >= 1",
            limits.MaxRequestHeaderCount, ServerLimitsOptions.DefaultMaxRequestHeaderCount);
        Check(limits.MaxRequestBodyBytes >= 0, nameof(limits.MaxRequestBodyBytes), "bytes >= 0 (0 = no limit)",
            limits.MaxRequestBodyBytes, ServerLimitsOptions.DefaultMaxRequestBodyBytes);
    }
}
