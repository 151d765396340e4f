namespace Gateway.LoadBalancing;

/// <summary>
/// A cluster's total in-flight requests, kept by its destinations' statistics records in the same
/// Begin/Complete calls that keep their own, so bounded-load hashing reads the total in O(1) instead of
/// summing every destination on every pick.
/// </summary>
public sealed class ClusterLoad
{
    private long _inFlight;

    public long InFlight => Volatile.Read(ref _inFlight);

    internal void Add(long delta) => Interlocked.Add(ref _inFlight, delta);
}
