using Gateway.Fleet;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fleet;

public sealed class RestartBackoffTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Failed_Repeatedly_DoublesTheWaitUpToThirtySeconds()
    {
        var backoff = new RestartBackoff(_time);

        var waits = Enumerable.Range(0, 7).Select(_ =>
        {
            var wait = backoff.Failed().Wait;
            _time.Advance(TimeSpan.FromMinutes(2)); // spread out: no crash loop, only the doubling
            return wait.TotalSeconds;
        }).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], waits);
    }

    [Fact]
    public void CanStart_AfterAFailure_FalseUntilItsWaitPassed()
    {
        var backoff = new RestartBackoff(_time);
        Assert.True(backoff.CanStart);
        backoff.Failed();
        backoff.Failed(); // the second failure waits 2 s from now

        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(backoff.CanStart);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(backoff.CanStart);
    }

    [Fact]
    public void Failed_FiveWithinAMinute_IsACrashLoop()
    {
        var backoff = new RestartBackoff(_time);

        var decisions = Enumerable.Range(0, 5).Select(_ =>
        {
            var decision = backoff.Failed();
            _time.Advance(TimeSpan.FromSeconds(14));
            return decision;
        }).ToArray();

        Assert.All(decisions.Take(4), d => Assert.False(d.CrashLoop));
        Assert.True(decisions[4].CrashLoop);
        Assert.Equal(5, decisions[4].RecentFailures);
    }

    [Fact]
    public void Failed_FiveSpreadOverMoreThanAMinute_IsNoCrashLoop()
    {
        var backoff = new RestartBackoff(_time);

        var decisions = Enumerable.Range(0, 5).Select(_ =>
        {
            var decision = backoff.Failed();
            _time.Advance(TimeSpan.FromSeconds(16)); // the first has left the minute when the fifth comes
            return decision;
        }).ToArray();

        Assert.DoesNotContain(decisions, d => d.CrashLoop);
        Assert.Equal(4, decisions[4].RecentFailures);
    }

    [Fact]
    public void Succeeded_AfterFailures_NextFailureWaitsOneSecondAgain()
    {
        var backoff = new RestartBackoff(_time);
        backoff.Failed();
        backoff.Failed();
        backoff.Failed();

        backoff.Succeeded();

        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Failed().Wait);
    }
}
