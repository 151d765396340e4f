namespace Gateway.Fleet;

/// <summary>What callers outside the gateway (the banner, /status, tests) may see of the local fleet.</summary>
public sealed class FleetSupervisorView
{
    private readonly FleetSupervisor _supervisor;

    internal FleetSupervisorView(FleetSupervisor supervisor) => _supervisor = supervisor;

    public int Desired => _supervisor.Target;

    public IReadOnlyList<FleetWorkerInfo> Workers => _supervisor.Workers;

    /// <summary>Completes once the starting fleet is in rotation.</summary>
    public Task InitialReady => _supervisor.InitialReady;

    /// <summary>
    /// False when workers would outlive a gateway that is killed (kill -9, OOM): setpriv, which gives them a
    /// parent-death signal, is missing (the supervisor also logs a warning at start). Null until the fleet started.
    /// </summary>
    public bool? WorkersDieWithGateway => _supervisor.WorkersDieWithGateway;
}
