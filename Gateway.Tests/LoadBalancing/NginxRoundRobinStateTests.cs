using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

public sealed class NginxRoundRobinStateTests
{
    private static string Sequence(NginxRoundRobinState state, DestinationStats[] candidates, int n, bool leastConn = false) =>
        string.Concat(Enumerable.Range(0, n).Select(_ => candidates[state.Pick(candidates, leastConn)].Id));

    [Fact]
    public void Pick_Weights511_NginxSmoothSequence()
    {
        var d = Destinations.Make(5, 1, 1);

        Assert.Equal("aabacaaaabacaa", Sequence(new NginxRoundRobinState(), d, 14));
    }

    [Fact]
    public void Pick_PeerLeavesAndReturns_OthersKeepTheirRotation()
    {
        var d = Destinations.Make(1, 1, 1);
        var state = new NginxRoundRobinState();

        Assert.Equal("ab", Sequence(state, d, 2));
        // c is marked failed: nginx skips it; a and b go on from where their current weights stand.
        Assert.Equal("abab", Sequence(state, [d[0], d[1]], 4));
        Assert.Equal("cab", Sequence(state, d, 3));
    }

    [Fact]
    public void Pick_LeastConn_FewestPerWeightWins_TiesRoundRobin()
    {
        var d = Destinations.Make(1, 1, 2);
        var state = new NginxRoundRobinState();
        Destinations.Load(d[0], 1);

        // b: 0/1, c: 0/2 tie at zero; the tie goes round-robin by weight among b and c only.
        Assert.Equal("cbc", Sequence(state, d, 3, leastConn: true));
        Destinations.Load(d[1], 1);
        Destinations.Load(d[2], 1);
        Assert.Equal("c", Sequence(state, d, 1, leastConn: true)); // c: 1/2 beats a and b at 1/1
    }
}
