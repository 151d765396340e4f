namespace Gateway.Transport;

/// <summary>
/// The process's event loops, one per processor (as many as HAProxy's default nbthread), started on first use and
/// living as long as the process. A socket opened on a loop thread joins that loop, so a request and its upstream
/// connection stay on one thread; others are spread round-robin.
/// </summary>
internal static class EpollLoops
{
    private static readonly Lazy<EpollLoop[]> s_loops = new(() =>
        [.. Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount)).Select(i => new EpollLoop(i))]);

    private static int s_next;

    public static EpollLoop Pick() => EpollLoop.Current ?? Next();

    /// <summary>The next loop in turn (accepted connections: spread even when accepted on a loop thread).</summary>
    public static EpollLoop Next()
    {
        var loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }
}
