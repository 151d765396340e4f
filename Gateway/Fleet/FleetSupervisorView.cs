namespace Gateway.Fleet;

/// <summary>What callers outside the gateway (the banner, tests) may see of the local fleet.</summary>
public sealed class FleetSupervisorView
{
    private readonly FleetSupervisor _supervisor;

    internal FleetSupervisorView(FleetSupervisor supervisor) => _supervisor = supervisor;

    public int Desired => _supervisor.Target;

    public IReadOnlyList<FleetWorkerInfo> Workers => _supervisor.Workers;

    /// <summary>Completes once the starting fleet is in rotation.</summary>
    public Task InitialReady => _supervisor.InitialReady;
}
