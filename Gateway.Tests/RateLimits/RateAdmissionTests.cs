using Gateway.RateLimits;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.RateLimits;

/// <summary>
/// nginx's limit_req accounting for scripted arrivals (ms), against values worked out by hand from
/// ngx_http_limit_req_module.c: excess in thousandths, drained by rate * ms / 1000 (truncated), +1000 per request.
/// </summary>
public class RateAdmissionTests
{
    private static RateCheck Check(ExcessZone zone, long burst, long delay, string key = "k") => new(zone, key, burst * 1000, delay * 1000);

    [Fact]
    public void Admit_TwoPerSecondBurst3NoNodelay_DelayedByHalfSecondSteps_FifthRejected()
    {
        var zone = new ExcessZone(2000, 100);
        var check = Check(zone, burst: 3, delay: 0);

        var decisions = Enumerable.Range(0, 5).Select(_ => RateAdmission.Admit([check], 0)).ToList();

        Assert.Equal([0L, 500, 1000, 1500], decisions.Take(4).Select(d => d.DelayMs));
        Assert.All(decisions.Take(4), d => Assert.False(d.Rejected));
        Assert.Equal([-1, 0, 0, 0], decisions.Take(4).Select(d => d.Limit));
        Assert.Equal(new RateDecision(true, 0, 4000, 0), decisions[4]); // "limiting requests, excess: 4.000"
    }

    [Fact]
    public void Admit_OneMsApart_ExcessIsDrainedPerMs()
    {
        var zone = new ExcessZone(1000, 100); // 1r/s
        var check = Check(zone, burst: 2, delay: 2); // burst=2 nodelay

        Assert.Equal(0, RateAdmission.Admit([check], 1000).Excess);
        Assert.Equal(999, RateAdmission.Admit([check], 1001).Excess);
        Assert.Equal(1998, RateAdmission.Admit([check], 1002).Excess);
        Assert.Equal(new RateDecision(true, 0, 2997, 0), RateAdmission.Admit([check], 1003)); // nginx logs "excess: 2.997"
        Assert.Equal(new RateDecision(true, 0, 2996, 0), RateAdmission.Admit([check], 1004)); // a refusal stores nothing
    }

    [Fact]
    public void Admit_OnePerMinute_EachRequestTruncatesItsDrain()
    {
        // rate=1r/m is 16 thousandths per second: 62 ms drain 0.992, truncated to 0, and the clock restarts at each request.
        var zone = new ExcessZone(16, 100);
        var check = Check(zone, burst: 5, delay: 5);
        var excess = new[] { 0, 62, 124, 186 }.Select(t => RateAdmission.Admit([check], t).Excess);
        Assert.Equal([0L, 1000, 2000, 3000], excess);

        Assert.Equal(3999, RateAdmission.Admit([check], 186 + 63).Excess); // 63 ms drain 1.008: 1
    }

    [Fact]
    public void Admit_OneZoneTwoBursts_OneCountCheckedAgainstEach()
    {
        var zone = new ExcessZone(16, 100);
        var small = Check(zone, burst: 1, delay: 1);
        var large = Check(zone, burst: 3, delay: 3);

        Assert.False(RateAdmission.Admit([small], 0).Rejected); // 0
        Assert.False(RateAdmission.Admit([small], 0).Rejected); // 1000
        Assert.True(RateAdmission.Admit([small], 0).Rejected); // 2000 > 1000
        Assert.False(RateAdmission.Admit([large], 0).Rejected); // 2000: the same count, a larger burst
        Assert.False(RateAdmission.Admit([large], 0).Rejected); // 3000
        Assert.Equal(4000, RateAdmission.Admit([large], 0).Excess);
        Assert.True(RateAdmission.Admit([small], 0).Rejected);
    }

    [Fact]
    public void Admit_LaterLimitRefuses_EarlierOneNotCounted()
    {
        var wide = new ExcessZone(16, 100);
        var narrow = new ExcessZone(16, 100);
        var checks = new[] { Check(wide, burst: 5, delay: 5), Check(narrow, burst: 0, delay: 0) };

        Assert.False(RateAdmission.Admit(checks, 0).Rejected);
        Assert.Equal(new RateDecision(true, 1, 1000, 0), RateAdmission.Admit(checks, 0));
        Assert.Equal(new RateDecision(true, 1, 1000, 0), RateAdmission.Admit(checks, 0));

        Assert.Equal(1000, wide.Peek("k", 0)); // counted once (the request that passed), not three times
        Assert.Equal(new RateDecision(true, 0, 1000, 0), RateAdmission.Admit([checks[1], checks[0]], 0)); // the first refuses: the second is not looked at
        Assert.Equal(1000, wide.Peek("k", 0));
    }

    [Fact]
    public void Admit_TwoDelayingLimits_LongestDelayWins()
    {
        var slow = new ExcessZone(1000, 100);
        var fast = new ExcessZone(2000, 100);
        var checks = new[] { Check(slow, burst: 5, delay: 0), Check(fast, burst: 5, delay: 0) };

        RateAdmission.Admit(checks, 0);
        var second = RateAdmission.Admit(checks, 0);

        Assert.Equal(new RateDecision(false, 0, 1000, 1000), second); // 1000 ms from the 1r/s zone beats 500 ms from the 2r/s one
        Assert.Equal(1000, fast.Peek("k", 500)); // both counted: 1000 + 1000 - 1000 drained
    }

    [Fact]
    public void Admit_DelayParameter_FirstOverTheDelayWaits()
    {
        var zone = new ExcessZone(1000, 100);
        var check = Check(zone, burst: 4, delay: 2); // burst=4 delay=2

        var delays = Enumerable.Range(0, 5).Select(_ => RateAdmission.Admit([check], 0).DelayMs);

        Assert.Equal([0L, 0, 0, 1000, 2000], delays);
    }

    [Fact]
    public void Add_NewKeyWhenFull_LeastRecentlyUsedForgotten()
    {
        var zone = new ExcessZone(16, capacity: 2);
        zone.Add("a", 0);
        zone.Add("b", 0);
        zone.Peek("a", 0); // a is used again: b is now the least recent
        zone.Add("c", 0);

        Assert.Equal(2, zone.Count);
        Assert.Equal(1000, zone.Peek("a", 0));
        Assert.Equal(0, zone.Peek("b", 0)); // forgotten: a new key
    }

    [Fact]
    public void Add_IdleDrainedKeys_ForgottenWhenANewKeyComes()
    {
        var zone = new ExcessZone(16, capacity: 100);
        zone.Add("idle", 0);
        zone.Add("busy", 0);
        zone.Add("busy", 0);
        zone.Add("busy", 0); // 2000: drains 16 per second, still over after a minute
        zone.Peek("busy", 0);

        zone.Add("new", ExcessZone.IdleMs - 1);
        Assert.Equal(3, zone.Count); // idle for less than a minute

        zone.Add("newer", ExcessZone.IdleMs + 1);
        Assert.Equal(3, zone.Count); // "idle" went (drained, a minute idle); "busy" stays, its excess is not drained
        Assert.Equal(0, zone.Peek("idle", ExcessZone.IdleMs + 1));
        Assert.Equal(2000 - 960 + 1000, zone.Peek("busy", ExcessZone.IdleMs + 1));
    }

    [Fact]
    public void NowMs_FakeTime_WholeMilliseconds()
    {
        var time = new FakeTimeProvider();
        var start = RateAdmission.NowMs(time);
        time.Advance(TimeSpan.FromMilliseconds(1500.9));
        Assert.Equal(1500, RateAdmission.NowMs(time) - start);
    }
}
