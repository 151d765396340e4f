using Gateway.Config;

namespace Gateway.Admin;

/// <summary>GET /status: the running config's generation, the last reload error, and every destination's numbers.</summary>
internal static class StatusReport
{
    public static object Build(GatewayStateReader state, ConfigState config, GatewayMetrics metrics,
        Fleet.FleetSupervisor? fleet = null, Fleet.FleetAutoscaler? autoscaler = null, IReadOnlyList<object>? splits = null,
        RateLimits.ClientLimits? rateLimits = null)
    {
        var status = config.Status;
        var now = state.Registry.Model.Time.GetTimestamp();
        var clusters = state.Destinations()
            .GroupBy(v => (v.ClusterId, v.Policy))
            .Select(g => new
            {
                id = g.Key.ClusterId,
                policy = g.Key.Policy,
                retries = Counts(metrics, g.Key.ClusterId, "retries"),
                rejections = Counts(metrics, g.Key.ClusterId, "rejections"),
                destinations = g.Select(v => new
                {
                    id = v.Destination.DestinationId,
                    address = v.Stats.Address,
                    weight = v.Stats.Weight,
                    inFlight = v.Stats.InFlight,
                    requests = v.Stats.Requests,
                    failures = v.Stats.Failures,
                    latencyEstimateMs = Math.Round(v.Stats.LatencyEstimate(now) * 1000, 3),
                    reportedQueueDepth = Math.Round(v.Stats.ReportedQueueDepth(now), 2),
                    available = v.Available,
                    admin = new { state = v.AdminState, weightOverride = v.Override?.Weight, since = v.Override?.Since },
                    health = new
                    {
                        active = v.Destination.Health.Active.ToString(),
                        passive = v.Destination.Health.Passive.ToString(),
                        draining = v.Draining,
                        lastProbeError = v.LastProbeError,
                    },
                    circuit = new { state = v.CircuitState.ToString(), opened = v.CircuitOpened },
                    slowStart = new { ramping = v.Stats.RampStart != 0, share = Math.Round(v.Stats.RampFactor, 3) },
                }).ToList(),
            }).ToList();
        return new
        {
            config = Config(status),
            clusters,
            splits = splits ?? [],
            fleet = fleet is null ? null : new
            {
                cluster = fleet.Options.ClusterId,
                desired = fleet.Target,
                autoscale = fleet.Options.Autoscale.Enabled,
                lastDecision = autoscaler?.LastDecision?.ToString(),
                workers = fleet.Workers,
            },
            rateLimits = rateLimits?.Report(),
        };
    }

    /// <summary>What runs, since when, and what the last failed reload said: the same on /status and the status page.</summary>
    internal static object Config(ReloadStatus status) => new
    {
        source = status.Config?.Source,
        generation = status.Generation,
        appliedAt = status.AppliedAt,
        lastReloadError = status.LastErrors.Count == 0 ? null : new
        {
            at = status.LastErrorAt,
            errors = status.LastErrors.Select(e => e.ToString()).ToList(),
        },
    };

    private static Dictionary<string, long> Counts(GatewayMetrics metrics, string cluster, string kind) =>
        metrics.Counts.Where(kv => kv.Key.Cluster == cluster && kv.Key.Kind == kind).ToDictionary(kv => kv.Key.Reason, kv => kv.Value);
}
