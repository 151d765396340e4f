using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Worker;

/// <summary>A fake clock that counts the timers created on it (to see whether a component makes one per request).</summary>
internal sealed class CountingTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    private int _timers;

    public int TimersCreated => Volatile.Read(ref _timers);

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timers);
        return inner.CreateTimer(callback, state, dueTime, period);
    }
}
