namespace Gateway.Transport;

/// <summary>
/// The process's event loops, one per processor (as many as HAProxy's default nbthread) unless LBPROXY_EVENT_LOOPS says
/// how many, started on first use and living as long as the process. A socket opened on a loop thread joins that loop,
/// so a request and its upstream connection stay on one thread; others are spread round-robin.
/// </summary>
internal static class EpollLoops
{
    private static readonly Lazy<EpollLoop[]> s_loops = new(() =>
        [.. Enumerable.Range(0, LoopCount()).Select(i => new EpollLoop(i))]);

    /// <summary>Sets how many loops run (nginx's worker_processes, HAProxy's nbthread); one per processor by default.</summary>
    public const string CountVariable = "LBPROXY_EVENT_LOOPS";

    private static int LoopCount() => LoopCount(Environment.GetEnvironmentVariable(CountVariable), Environment.ProcessorCount);

    /// <summary>The loops to run: the positive whole number <paramref name="setting"/> gives, else one per processor.</summary>
    /// <exception cref="InvalidOperationException">The setting is given but is not a positive whole number.</exception>
    internal static int LoopCount(string? setting, int processors)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return Math.Max(1, processors);
        }

        return int.TryParse(setting, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new InvalidOperationException(
                $"{CountVariable}='{setting}' is not a positive whole number: set it to the number of event loops (1, 2, ...) or unset it for one per processor ({processors}).");
    }

    /// <summary>Reads <see cref="CountVariable"/> now, so a bad value stops the start-up instead of the first connection.</summary>
    public static void CheckSetting() => _ = LoopCount();

    /// <summary>The loops (starts them), in <see cref="EpollLoop.Index"/> order.</summary>
    public static IReadOnlyList<EpollLoop> All => s_loops.Value;

    private static int s_next;

    public static EpollLoop Pick() => EpollLoop.Current ?? Next();

    /// <summary>The next loop in turn (accepted connections: spread even when accepted on a loop thread).</summary>
    public static EpollLoop Next()
    {
        var loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }
}
