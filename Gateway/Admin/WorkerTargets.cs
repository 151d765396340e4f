using Gateway.Fleet;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin;

/// <summary>
/// GET /sd/workers: the local fleet's workers as a Prometheus HTTP service-discovery list
/// (<c>http_sd_configs</c>), so Prometheus scrapes each worker's /metrics on whatever free port it got.
/// Only ready workers are listed; an empty list when there is no local fleet.
/// </summary>
internal static class WorkerTargets
{
    public static IResult Get(FleetSupervisor? fleet) => Results.Json(fleet is null
        ? []
        : fleet.ReadyProcesses().Select(w => new
        {
            targets = new[] { $"{new Uri(w.Address).Authority}" },
            labels = new Dictionary<string, string> { ["worker"] = w.Id, ["cluster"] = fleet.Options.ClusterId },
        }).ToArray<object>());
}
