namespace Gateway.LoadBalancing;

/// <summary>
/// Plain rotation over the candidates, lock-free: one Interlocked counter per cluster (as YARP's and nginx's
/// unweighted round-robin). A change in the candidate count shifts the rotation but never skips a turn twice.
/// </summary>
public sealed class RoundRobinSelector
{
    private long _counter = -1;

    public int Pick(int count) =>
        count <= 0 ? -1 : (int)((ulong)Interlocked.Increment(ref _counter) % (ulong)count);
}
