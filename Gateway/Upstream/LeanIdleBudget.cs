namespace Gateway.Upstream;

/// <summary>
/// A cluster's cap on the idle keep-alive connections it leaves in the lean pools, across all its destinations (nginx's
/// <c>keepalive N</c>: at most N idle connections per upstream and worker; the clusters of one upstream share one
/// budget, <see cref="LeanForwarderHttpClientFactory.IdleBudgetGroupMetadataKey"/>). A connection carries the budget of the
/// cluster that last used it and holds one of its places while idle; released when the cluster already has N idle,
/// it is closed instead of kept (nginx closes its least recently used one; the count is the same).
/// </summary>
internal sealed class LeanIdleBudget(int max)
{
    private int _idle;

    public int Max { get; } = max;

    /// <summary>Idle connections holding a place now.</summary>
    public int Idle => Volatile.Read(ref _idle);

    /// <summary>Takes a place for a connection going idle; false when all are taken (close it).</summary>
    public bool TryTake()
    {
        if (Interlocked.Increment(ref _idle) <= Max)
        {
            return true;
        }

        Interlocked.Decrement(ref _idle);
        return false;
    }

    /// <summary>A connection left the idle set (rented again, expired or closed).</summary>
    public void Give() => Interlocked.Decrement(ref _idle);
}
