using System.Text.Json;
using System.Text.Json.Serialization;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config;

/// <summary>The shape of a gateway config file as JSON. Other top-level sections (Logging, ...) are allowed.</summary>
internal sealed class ConfigFileDto
{
    public ReverseProxySectionDto? ReverseProxy { get; set; }

    public LbProxySectionDto? LbProxy { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; set; }
}

internal sealed class ReverseProxySectionDto
{
    public Dictionary<string, RouteConfig>? Routes { get; set; }

    public Dictionary<string, ClusterConfig>? Clusters { get; set; }
}

internal sealed class LbProxySectionDto
{
    public AdaptiveOptions? Adaptive { get; set; }

    public JsonElement? Resilience { get; set; }

    public Dictionary<string, JsonElement>? Clusters { get; set; }

    public Fleet.FleetOptions? Fleet { get; set; }

    public Dictionary<string, Discovery.DiscoveryOptions>? Discovery { get; set; }

    public AccessLog.AccessLogOptions? AccessLog { get; set; }

    public Admin.Guard.AdminGuardOptions? Admin { get; set; }

    public Dictionary<string, Split.SplitOptions?>? Splits { get; set; }

    public List<Tls.ListenerOptions>? Listeners { get; set; }

    public Dictionary<string, RateLimits.RateLimitRule>? RateLimits { get; set; }

    public Tracing.TracingOptions? Tracing { get; set; }

    public Hardening.ServerLimitsOptions? ServerLimits { get; set; }

    public List<string>? TrustedProxies { get; set; }
}
