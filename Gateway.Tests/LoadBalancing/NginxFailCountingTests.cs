using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

/// <summary>nginx's max_fails/fail_timeout counting (ngx_http_upstream_round_robin.c), in nginx's whole seconds.</summary>
public sealed class NginxFailCountingTests
{
    [Fact]
    public void Failed_SuccessBetweenWithinFailTimeout_StillMarksAtMaxFails()
    {
        var peer = new NginxPeer();

        Assert.False(NginxFailCounting.Failed(peer, weight: 1, maxFails: 2, now: 100));
        Assert.False(NginxFailCounting.Picked(peer, maxFails: 2, failTimeout: 10, now: 101)); // within fail_timeout: checked stays
        Assert.False(NginxFailCounting.Succeeded(peer)); // accessed == checked: not cleared
        Assert.True(NginxFailCounting.Failed(peer, weight: 1, maxFails: 2, now: 102));

        Assert.Equal(2, peer.Fails);
        Assert.True(NginxFailCounting.IsMarked(peer, maxFails: 2, failTimeout: 10, now: 102));
    }

    [Fact]
    public void Succeeded_AfterAPickPastFailTimeout_ClearsFails()
    {
        var peer = new NginxPeer();
        NginxFailCounting.Failed(peer, weight: 1, maxFails: 2, now: 100);

        Assert.False(NginxFailCounting.Picked(peer, maxFails: 2, failTimeout: 10, now: 111)); // not marked: no probe, but checked = now
        Assert.Equal(111, peer.Checked);
        Assert.True(NginxFailCounting.Succeeded(peer));
        Assert.Equal(0, peer.Fails);
        Assert.False(NginxFailCounting.Failed(peer, weight: 1, maxFails: 2, now: 112)); // the next failure is the first again
    }

    [Fact]
    public void IsMarked_WhileNowMinusCheckedWithinFailTimeout_ThenOneProbe()
    {
        var peer = new NginxPeer();

        Assert.True(NginxFailCounting.Failed(peer, weight: 1, maxFails: 1, now: 100));
        Assert.True(NginxFailCounting.IsMarked(peer, 1, failTimeout: 10, now: 110)); // now - checked <= fail_timeout
        Assert.False(NginxFailCounting.IsMarked(peer, 1, failTimeout: 10, now: 111));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(111), NginxFailCounting.MarkEnds(100, 10));

        Assert.True(NginxFailCounting.Picked(peer, 1, failTimeout: 10, now: 111)); // the probe
        Assert.True(NginxFailCounting.IsMarked(peer, 1, failTimeout: 10, now: 111)); // others skip it meanwhile
        Assert.True(NginxFailCounting.Succeeded(peer)); // accessed 100 < checked 111
        Assert.False(NginxFailCounting.IsMarked(peer, 1, failTimeout: 10, now: 111));
    }

    [Fact]
    public void Failed_LowersEffectiveWeightByWeightOverMaxFails_NotBelowZero()
    {
        var peer = new NginxPeer();

        NginxFailCounting.Failed(peer, weight: 4, maxFails: 3, now: 100);
        Assert.Equal(3, peer.EffectiveWeight); // 4 - 4/3
        NginxFailCounting.Failed(peer, weight: 4, maxFails: 3, now: 100);
        NginxFailCounting.Failed(peer, weight: 4, maxFails: 3, now: 100);
        NginxFailCounting.Failed(peer, weight: 4, maxFails: 3, now: 100);
        Assert.Equal(0, peer.EffectiveWeight);
    }

    [Fact]
    public void Failed_MaxFailsZero_NeverMarksNorLowersWeight()
    {
        var peer = new NginxPeer();

        Assert.False(NginxFailCounting.Failed(peer, weight: 4, maxFails: 0, now: 100));
        Assert.False(NginxFailCounting.IsMarked(peer, 0, failTimeout: 10, now: 100));
        Assert.Equal(-1, peer.EffectiveWeight);
    }

    [Fact]
    public void Pick_AfterAFailure_EffectiveWeightClimbsBackAsNginx()
    {
        var d = Destinations.Make(4, 1);
        var state = new NginxRoundRobinState();

        // a is picked and fails (weight 4, max_fails 2: effective 2); the retry takes b; then the rotation, as nginx's
        // smooth round-robin with effective weights gives it (without them: "ababaaaabaaa").
        var sequence = d[state.Pick(d, leastConn: false)].Id;
        NginxFailCounting.Failed(state.Peer(d[0]), weight: 4, maxFails: 2, now: 100);
        sequence += d[state.Pick(d, [false, true], leastConn: false)].Id;
        for (var i = 0; i < 10; i++)
        {
            sequence += d[state.Pick(d, leastConn: false)].Id;
        }

        Assert.Equal("abbaaabaaaab", sequence);
    }
}
