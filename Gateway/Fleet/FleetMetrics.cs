using System.Diagnostics.Metrics;

namespace Gateway.Fleet;

/// <summary>lbproxy_fleet_replicas{state=desired|ready}: what the autoscaler asked for and what serves.</summary>
internal sealed class FleetMetrics
{
    public FleetMetrics(IMeterFactory meterFactory, FleetSupervisor supervisor, string meterName)
    {
        var meter = meterFactory.Create(meterName);
        meter.CreateObservableGauge("lbproxy_fleet_replicas", () => new[]
        {
            new Measurement<int>(supervisor.Target, new KeyValuePair<string, object?>("state", "desired")),
            new Measurement<int>(supervisor.ReadyProcesses().Count, new KeyValuePair<string, object?>("state", "ready")),
        }, null, "Local fleet size: desired (autoscaler target) and ready (in rotation).");
    }
}
