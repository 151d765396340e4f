namespace Benchmarks.Sim.Scenario;

/// <summary>
/// Something that happens to the fleet at <see cref="At"/> seconds:
/// <c>slow</c> (service times x <see cref="Factor"/>, or replaced by <see cref="ServiceTime"/>),
/// <c>fail</c> (the process dies: its requests error, new ones are refused until health checks notice),
/// <c>recover</c> (back to normal; a failed one becomes available once health checks notice),
/// <c>add</c> (<see cref="Group"/> joins the cluster), <c>remove</c> (leaves it; its in-flight requests finish),
/// <c>others</c> (other clients, e.g. another gateway replica, send <see cref="Rate"/> req/s, Poisson, to each of the
/// destinations; 0 stops them: their requests take servers and queue places the gateway cannot count, and show only
/// in latency and in the queue depth a destination reports).
/// <see cref="Destinations"/> are indexes in creation order.
/// </summary>
public sealed record ScenarioEvent
{
    public double At { get; init; }

    public string Type { get; init; } = "";

    public IReadOnlyList<int> Destinations { get; init; } = [];

    public double Factor { get; init; } = 1;

    public ServiceTimeSpec? ServiceTime { get; init; }

    public DestinationGroup? Group { get; init; }

    /// <summary>For <c>others</c>: requests per second to each destination.</summary>
    public double Rate { get; init; }
}
