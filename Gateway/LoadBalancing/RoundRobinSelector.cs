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

    /// <summary>The rotation's next turn among the <paramref name="allowed"/> only (nginx skips tried peers the same way).</summary>
    public int Pick(ReadOnlySpan<bool> allowed)
    {
        var start = Pick(allowed.Length);
        return start < 0 ? -1 : CandidateMask.NextAllowed(allowed, start);
    }
}
