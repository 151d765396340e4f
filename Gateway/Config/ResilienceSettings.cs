using Yarp.ReverseProxy.Model;

namespace Gateway.Config;

/// <summary>The running config's resilience options for a cluster (defaults when the config has none).</summary>
public sealed class ResilienceSettings(ConfigState state)
{
    private static readonly ResilienceOptions s_defaults = new();

    public ResilienceOptions For(string clusterId) => state.Current?.Options.For(clusterId) ?? s_defaults;

    public ResilienceOptions For(ClusterState cluster) => For(cluster.ClusterId);
}
