namespace Gateway.Tests.Hardening;

/// <summary>A one-route, one-destination gateway config with the <c>LbProxy</c> settings under test.</summary>
public static class HardenedConfig
{
    /// <param name="backendUrl">The only destination.</param>
    /// <param name="lbProxy">JSON members of the LbProxy section, e.g. <c>"ServerLimits": { ... }</c>.</param>
    /// <param name="upstreamClient">"Lean" or "Sockets".</param>
    public static string For(string backendUrl, string lbProxy = "", string upstreamClient = "Lean") => $$"""
        {
          "ReverseProxy": {
            "Routes": { "all": { "ClusterId": "b", "Match": { "Path": "/{**catch-all}" } } },
            "Clusters": { "b": { "Metadata": { "UpstreamClient": "{{upstreamClient}}" },
                                 "Destinations": { "d": { "Address": "{{backendUrl}}" } } } }
          },
          "LbProxy": { {{lbProxy}} }
        }
        """;
}
