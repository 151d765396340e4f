using Gateway.Config;
using Gateway.Fleet;
using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin;

/// <summary>
/// GET /ui/state, what the status page polls: every destination's state and numbers now (read live from YARP's
/// state and the statistics records, as /status does), its last minutes from <see cref="StatusSampler"/>, the fleet
/// with the autoscaler's recent decisions, and the recent events.
/// </summary>
internal static class LiveStatus
{
    private const int EventsShown = 50;

    public static object Build(GatewayStateReader state, ConfigState config, GatewayMetrics metrics, StatusSampler sampler, OpsEventLog events,
        FleetSupervisor? fleet, TimeProvider time)
    {
        var now = state.Registry.Model.Time.GetTimestamp();
        var live = state.Destinations().ToList();
        var liveKeys = live.Select(v => (v.ClusterId, v.Destination.DestinationId)).ToHashSet();
        // A local worker whose process is gone is down now, not at the supervisor's next tick (up to 1 s) that takes it out.
        var exited = fleet?.ReadyProcesses().Where(p => p.HasExited).Select(p => (fleet.Options.ClusterId, p.Id)).ToHashSet() ?? [];
        // Sampled before but no longer in its cluster: gone, even before the sampler's next tick notices.
        var gone = sampler.Histories.Where(kv => !liveKeys.Contains(kv.Key) && kv.Value.Last is not null)
            .Select(kv => (View: kv.Value.Last!, History: (DestinationHistory?)kv.Value, Gone: true));
        var rows = live.Select(v => (View: v, History: sampler.Histories.GetValueOrDefault((v.ClusterId, v.Destination.DestinationId)), Gone: false))
            .Concat(gone)
            .Select(r => ToRow(r.View, r.History, r.Gone, now, exited.Contains((r.View.ClusterId, r.View.Destination.DestinationId))))
            .ToList();
        var status = config.Status;
        return new
        {
            now = time.GetUtcNow(),
            config = StatusReport.Config(status),
            clusters = rows.GroupBy(r => (r.Cluster, r.Policy)).Select(g =>
            {
                var clusterRps = g.Sum(r => r.Rps);
                return new
                {
                    id = g.Key.Cluster,
                    policy = g.Key.Policy,
                    rps = Round(clusterRps),
                    retries = Counts(metrics, g.Key.Cluster, "retries"),
                    rejections = Counts(metrics, g.Key.Cluster, "rejections"),
                    destinations = g.Select(r => r.ToJson(clusterRps)).ToList(),
                };
            }).ToList(),
            fleet = fleet is null ? null : new
            {
                cluster = fleet.Options.ClusterId,
                desired = fleet.Target,
                ready = fleet.Workers.Count(w => w.State == "Ready"),
                autoscale = fleet.Options.Autoscale.Enabled,
                workers = fleet.Workers,
                decisions = sampler.Decisions().Reverse().Select(d => new
                {
                    at = d.At,
                    current = d.Decision.Current,
                    desired = d.Decision.Desired,
                    text = d.Decision.ToString(),
                }).ToList(),
            },
            events = events.Snapshot().Reverse().Take(EventsShown).ToList(),
        };
    }

    private static Row ToRow(DestinationView v, DestinationHistory? history, bool gone, long now, bool processExited)
    {
        var samples = history?.Samples() ?? [];
        // A destination that left its cluster serves nothing now: its last rates are history, not current figures.
        var recent = gone ? [] : samples.TakeLast(StatusSampler.P95WindowSeconds).ToArray();
        var rps = recent.Length == 0 ? 0 : recent.Average(s => s.Rps);
        var errors = recent.Sum(s => double.IsNaN(s.ErrorRate) ? 0 : s.ErrorRate * s.Rps);
        var (state, reason) = processExited ? ("down", "worker process exited") : StateOf(v, gone);
        return new Row(v.ClusterId, v.Policy, v, state, reason, rps, rps > 0 ? errors / rps : null,
            recent.Length == 0 ? null : recent[^1].P95Seconds, v.Stats.LatencyEstimate(now), samples, gone, history?.GoneAt);
    }

    /// <summary>up, draining or down, and why; a destination that left its cluster is down ("removed").</summary>
    private static (string State, string? Reason) StateOf(DestinationView v, bool gone)
    {
        if (gone)
        {
            return ("down", "removed from the cluster");
        }

        switch (v.AdminState)
        {
            case Api.AdminStateNames.Draining:
                return ("draining", $"admin drain: {v.Stats.InFlight} in flight");
            case Api.AdminStateNames.Drained:
                return ("draining", "admin drain: drained (nothing in flight)");
            case Api.AdminStateNames.Disabled:
                return ("disabled", "disabled through the admin API");
        }

        if (v.Draining)
        {
            return ("draining", "probe answered 503");
        }

        if (!v.Available)
        {
            return ("down", v.CircuitState is CircuitState.Open or CircuitState.Isolated ? "circuit open"
                : v.Destination.Health.Active == DestinationHealth.Unhealthy ? $"probe failing{(v.LastProbeError is null ? "" : ": " + v.LastProbeError)}"
                : "unhealthy");
        }

        return ("up", v.CircuitState == CircuitState.HalfOpen ? "circuit half-open: trial request" : null);
    }

    private static Dictionary<string, long> Counts(GatewayMetrics metrics, string cluster, string kind) =>
        metrics.Counts.Where(kv => kv.Key.Cluster == cluster && kv.Key.Kind == kind).ToDictionary(kv => kv.Key.Reason, kv => kv.Value);

    private static double? Round(double value, int digits = 2) => double.IsFinite(value) ? Math.Round(value, digits) : null;

    private sealed record Row(string Cluster, string Policy, DestinationView View, string State, string? Reason, double Rps, double? ErrorRate,
        double? P95Seconds, double LatencySeconds, HistorySample[] Samples, bool Gone, DateTimeOffset? GoneAt)
    {
        public object ToJson(double clusterRps) => new
        {
            id = View.Destination.DestinationId,
            address = View.Stats.Address,
            state = State,
            reason = Reason,
            goneAt = Gone ? GoneAt : null,
            weight = View.Stats.Weight,
            admin = new { state = View.AdminState, weightOverride = View.Override?.Weight },
            inFlight = Gone ? 0 : View.Stats.InFlight,
            requests = View.Stats.Requests,
            failures = View.Stats.Failures,
            latencyEstimateMs = Round(LatencySeconds * 1000),
            p95Ms = P95Seconds is { } p95 ? Round(p95 * 1000) : null,
            rps = Round(Rps),
            errorRate = ErrorRate is { } e ? Round(e, 4) : null,
            share = clusterRps > 0 ? Round(Rps / clusterRps, 3) : null,
            health = new
            {
                active = View.Destination.Health.Active.ToString(),
                passive = View.Destination.Health.Passive.ToString(),
                draining = View.Draining,
                lastProbeError = View.LastProbeError,
            },
            circuit = new { state = View.CircuitState.ToString(), opened = View.CircuitOpened },
            slowStart = new { ramping = View.Stats.RampStart != 0, share = Round(View.Stats.RampFactor, 3) },
            history = new
            {
                start = Samples.Length == 0 ? (DateTimeOffset?)null : Samples[0].At,
                rps = Samples.Select(s => Round(s.Rps)).ToArray(),
                p95Ms = Samples.Select(s => Round(s.P95Seconds * 1000)).ToArray(),
                errorRate = Samples.Select(s => Round(s.ErrorRate, 4)).ToArray(),
            },
        };
    }
}
