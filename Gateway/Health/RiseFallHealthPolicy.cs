using System.Net;
using System.Runtime.CompilerServices;
using Gateway.Config;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Health;

/// <summary>
/// Active health verdicts from YARP's probes, as HAProxy's <c>check rise R fall F</c>: a destination is
/// unhealthy after F failed probes in a row and healthy again after R good ones. A 503 from the probe path
/// (ModelWorker's /ready when its queue is deep or it is shutting down) means "draining": out of rotation at
/// once, not counted as broken, and back on the first good probe.
/// </summary>
internal sealed class RiseFallHealthPolicy(ResilienceSettings settings, IDestinationHealthUpdater health, ProbeStates probes,
    Admin.OpsEventLog? events = null)
    : IActiveHealthCheckPolicy
{
    public const string PolicyName = "RiseFall";

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        var options = settings.For(cluster).HealthCheck;
        var updates = new List<NewActiveDestinationHealth>(probingResults.Count);
        foreach (var result in probingResults)
        {
            var probe = probes.Get(result.Destination);
            var status = result.Response?.StatusCode;
            var current = result.Destination.Health.Active;
            DestinationHealth next;
            if (status is { } code && (int)code is >= 200 and < 300)
            {
                probe.Good++;
                probe.Bad = 0;
                var wasDraining = probe.Draining;
                probe.Draining = false;
                next = current != DestinationHealth.Unhealthy || wasDraining || probe.Good >= options.Rise
                    ? DestinationHealth.Healthy
                    : DestinationHealth.Unhealthy;
            }
            else if (status == HttpStatusCode.ServiceUnavailable)
            {
                // Draining only from service: a destination already down for failed probes stays broken, so a
                // 503 on its way back does not let it skip the rise.
                probe.Draining = current != DestinationHealth.Unhealthy || probe.Draining;
                probe.Good = 0;
                next = DestinationHealth.Unhealthy;
            }
            else
            {
                probe.Bad++;
                probe.Good = 0;
                probe.Draining = false;
                probe.LastError = result.Exception?.Message ?? $"probe answered {(int?)status}";
                next = current == DestinationHealth.Unhealthy || probe.Bad >= options.Fall
                    ? DestinationHealth.Unhealthy
                    : current;
            }

            events?.ActiveHealthChanged(cluster.ClusterId, result.Destination.DestinationId, current, next, probe.Draining, probe.LastError);
            updates.Add(new NewActiveDestinationHealth(result.Destination, next));
        }

        health.SetActive(cluster, updates);
    }
}

/// <summary>Probe counters per destination, for the verdicts and for /status.</summary>
internal sealed class ProbeStates
{
    private readonly ConditionalWeakTable<DestinationState, ProbeState> _states = [];

    public ProbeState Get(DestinationState destination) => _states.GetValue(destination, static _ => new ProbeState());

    public ProbeState? Find(DestinationState destination) => _states.TryGetValue(destination, out var s) ? s : null;
}

internal sealed class ProbeState
{
    // Written only by YARP's probing loop for the cluster (one at a time); read by /status.
    public int Good { get; set; }

    public int Bad { get; set; }

    public bool Draining { get; set; }

    public string? LastError { get; set; }
}
