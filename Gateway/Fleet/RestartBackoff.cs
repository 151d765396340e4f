namespace Gateway.Fleet;

/// <summary>
/// When the supervisor may start the next worker after failures: the wait doubles per failure (1 s up to 30 s, as
/// Kubernetes' CrashLoopBackOff grows from 10 s to 5 min, scaled to local processes) and a worker that gets ready
/// resets it; <see cref="CrashLoopRestarts"/> failures within <see cref="CrashLoopWindow"/> is a crash loop, which
/// the supervisor reports loudly. Time comes from the injected clock only. Thread-safe.
/// </summary>
internal sealed class RestartBackoff(TimeProvider time)
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CrashLoopWindow = TimeSpan.FromMinutes(1);
    public const int CrashLoopRestarts = 5;

    private readonly Lock _lock = new();
    private readonly Queue<DateTimeOffset> _recent = new();
    private TimeSpan _next = Initial;
    private DateTimeOffset _startAllowedAt = DateTimeOffset.MinValue;

    /// <summary>Whether the backoff after the last failure has passed.</summary>
    public bool CanStart
    {
        get
        {
            lock (_lock)
            {
                return time.GetUtcNow() >= _startAllowedAt;
            }
        }
    }

    /// <summary>Records a failed worker (exited, unresponsive, never ready, could not start) and holds back the next start.</summary>
    public RestartDecision Failed()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            _recent.Enqueue(now);
            while (now - _recent.Peek() > CrashLoopWindow)
            {
                _recent.Dequeue();
            }

            var wait = _next;
            _startAllowedAt = now + wait;
            _next = TimeSpan.FromTicks(Math.Min(Max.Ticks, wait.Ticks * 2));
            return new RestartDecision(wait, _recent.Count, _recent.Count >= CrashLoopRestarts);
        }
    }

    /// <summary>A worker got ready: the next failure waits the initial backoff again.</summary>
    public void Succeeded()
    {
        lock (_lock)
        {
            _next = Initial;
        }
    }
}
