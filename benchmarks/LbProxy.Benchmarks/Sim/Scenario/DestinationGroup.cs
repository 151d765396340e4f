namespace Benchmarks.Sim.Scenario;

/// <summary>
/// <see cref="Count"/> identical destinations. Each is a FIFO queue in front of <see cref="Servers"/> parallel
/// servers (an M/M/c station when the service time is exponential); 0 servers means unlimited (a pure delay,
/// as a latency-injecting test server). A queue already holding <see cref="QueueLimit"/> requests answers 503 at
/// once (the worker's load shedding); 0 means unbounded.
/// </summary>
public sealed record DestinationGroup
{
    public int Count { get; init; } = 1;

    public int Weight { get; init; } = 1;

    public int Servers { get; init; } = 1;

    public int QueueLimit { get; init; }

    public ServiceTimeSpec ServiceTime { get; init; } = new();

    public IEnumerable<string> Validate(string where)
    {
        if (Count < 1)
        {
            yield return $"{where}: count must be >= 1";
        }

        if (Weight < 1)
        {
            yield return $"{where}: weight must be >= 1";
        }

        if (Servers < 0 || QueueLimit < 0)
        {
            yield return $"{where}: servers and queueLimit must be >= 0 (0 = unlimited)";
        }

        foreach (var error in ServiceTime.Validate(where))
        {
            yield return error;
        }
    }
}
