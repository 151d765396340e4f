using Gateway.Config;
using Gateway.LoadBalancing;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin.Api;

/// <summary>
/// Applies the runtime API's changes through the model every policy already reads: a weight goes into the destination's
/// one statistics record; drain and disable go into <see cref="DestinationOverrides"/>, which the available-destinations
/// policies consult. Either way the cluster's destination lists are rebuilt at once, so the next pick (and its cluster
/// snapshot, plans and hash ring) sees the change. A config reload clears every change and restores the config's weights.
/// </summary>
internal sealed partial class RuntimeControl
{
    private readonly IProxyStateLookup _clusters;
    private readonly IClusterDestinationsUpdater _updater;
    private readonly DestinationStatsRegistry _registry;
    private readonly DestinationOverrides _overrides;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<RuntimeControl> _logger;
    private readonly Lock _lock = new();

    public RuntimeControl(IProxyStateLookup clusters, IClusterDestinationsUpdater updater, DestinationStatsRegistry registry,
        DestinationOverrides overrides, GatewayMetrics metrics, ConfigState config, TimeProvider time, ILogger<RuntimeControl> logger)
    {
        _clusters = clusters;
        _updater = updater;
        _registry = registry;
        _overrides = overrides;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        config.Applied += Reset;
    }

    public IEnumerable<ClusterState> Clusters() => _clusters.GetClusters();

    public ClusterState? FindCluster(string id) => _clusters.TryGetCluster(id, out var cluster) ? cluster : null;

    public static DestinationState? FindDestination(ClusterState cluster, string id) =>
        cluster.Destinations.TryGetValue(id, out var destination) ? destination : null;

    public DestinationStats Stats(ClusterState cluster, DestinationState destination) => _registry.Get(cluster, destination);

    public DestinationOverride? Override(ClusterState cluster, DestinationState destination) =>
        _overrides.Find(cluster.ClusterId, destination.DestinationId);

    /// <summary>The weight the config gives the destination.</summary>
    public static int ConfiguredWeight(DestinationState destination) =>
        DestinationStatsRegistry.ParseWeight(destination.Model?.Config.Metadata) ?? 1;

    public void SetState(ClusterState cluster, DestinationState destination, AdminState state)
    {
        lock (_lock)
        {
            var current = Override(cluster, destination);
            _overrides.Set(cluster.ClusterId, destination.DestinationId,
                new DestinationOverride(state, current?.Weight, current?.State == state ? current.Since : _time.GetUtcNow()));
            _updater.UpdateAllDestinations(cluster);
        }

        var action = state switch { AdminState.Draining => "drain", AdminState.Disabled => "disable", _ => "enable" };
        _metrics.RecordAdminChange(cluster.ClusterId, action);
        LogChanged(_logger, cluster.ClusterId, destination.DestinationId, action);
    }

    /// <summary>Sets the weight (null: back to the config's).</summary>
    public void SetWeight(ClusterState cluster, DestinationState destination, int? weight)
    {
        lock (_lock)
        {
            var current = Override(cluster, destination);
            _overrides.Set(cluster.ClusterId, destination.DestinationId,
                new DestinationOverride(current?.State ?? AdminState.Enabled, weight, current?.Since ?? _time.GetUtcNow()));
            _registry.Get(cluster, destination).Weight = weight ?? ConfiguredWeight(destination);
            // A fresh list makes a fresh cluster snapshot: the policies' per-snapshot plans (smooth weighted turns, least
            // connections' weights, the hash ring) are built again with the new weight.
            _updater.UpdateAllDestinations(cluster);
        }

        _metrics.RecordAdminChange(cluster.ClusterId, weight is null ? "reset_weight" : "set_weight");
        LogChanged(_logger, cluster.ClusterId, destination.DestinationId, weight is null ? "weight reset to the config's" : $"weight {weight}");
    }

    /// <summary>A reload applied: the config is the truth again.</summary>
    private void Reset()
    {
        lock (_lock)
        {
            var forgotten = _overrides.Clear();
            foreach (var cluster in forgotten.Select(f => f.Key.Cluster).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (FindCluster(cluster) is not { } state)
                {
                    continue;
                }

                foreach (var (key, entry) in forgotten)
                {
                    if (entry.Weight is not null && string.Equals(key.Cluster, cluster, StringComparison.OrdinalIgnoreCase)
                        && FindDestination(state, key.Destination) is { } destination)
                    {
                        // A destination whose config changed gets its new weight from the registry when it sees the new
                        // model; one whose config did not change gets the config's weight back here.
                        _registry.Get(state, destination).Weight = ConfiguredWeight(destination);
                    }
                }

                _updater.UpdateAllDestinations(state);
            }

            if (forgotten.Count > 0)
            {
                LogReset(_logger, forgotten.Count);
            }
        }
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "admin API: cluster {Cluster} destination {Destination}: {Change}")]
    private static partial void LogChanged(ILogger logger, string cluster, string destination, string change);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Information, Message = "admin API: {Count} runtime change(s) cleared by the config reload")]
    private static partial void LogReset(ILogger logger, int count);
}
