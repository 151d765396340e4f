using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

public class LeastConnectionsSelectorTests
{
    [Fact]
    public void Pick_OneIdleDestination_PicksIt()
    {
        var d = Destinations.Count(4);
        Destinations.Load(d[0], 3);
        Destinations.Load(d[1], 1);
        Destinations.Load(d[3], 2);
        Assert.Equal(2, new LeastConnectionsSelector().Pick(d));
    }

    [Fact]
    public void Pick_InFlightPerWeight_PrefersHeavierWeight()
    {
        // a: 3 in flight / weight 4 = 0.75 beats b: 1 / 1 = 1.
        var d = Destinations.Make(4, 1);
        Destinations.Load(d[0], 3);
        Destinations.Load(d[1], 1);
        Assert.Equal(0, new LeastConnectionsSelector().Pick(d));
    }

    [Fact]
    public void Pick_AllTiedEqualWeights_RotatesInsteadOfListOrder()
    {
        var d = Destinations.Count(3);
        var selector = new LeastConnectionsSelector();
        var picks = Enumerable.Range(0, 6).Select(_ => d[selector.Pick(d)].Id);
        Assert.Equal("abcabc", string.Concat(picks));
    }

    [Fact]
    public void Pick_AllTiedWeights511_BreaksTiesBySmoothWeightedRoundRobin()
    {
        var d = Destinations.Make(5, 1, 1);
        var selector = new LeastConnectionsSelector();
        var picks = Enumerable.Range(0, 14).Select(_ => d[selector.Pick(d)].Id);
        Assert.Equal("aabacaa" + "aabacaa", string.Concat(picks));
    }

    [Fact]
    public void Pick_TieOnlyAmongSome_RotatesAmongTiedOnly()
    {
        // a: 2/2 = 1, b: 1/1 = 1, c: 2/1 = 2 -> only a and b are tied, by weight 2:1.
        var d = Destinations.Make(2, 1, 1);
        Destinations.Load(d[0], 2);
        Destinations.Load(d[1], 1);
        Destinations.Load(d[2], 2);
        var selector = new LeastConnectionsSelector();
        var picks = string.Concat(Enumerable.Range(0, 6).Select(_ => d[selector.Pick(d)].Id));
        Assert.Equal("abaaba", picks);
    }

    [Fact]
    public void Pick_RequestsHeld_SpreadsInFlightEvenly()
    {
        var d = Destinations.Count(5);
        var selector = new LeastConnectionsSelector();
        for (var i = 0; i < 50; i++)
        {
            d[selector.Pick(d)].Begin();
        }

        Assert.All(d, x => Assert.Equal(10, x.InFlight));
    }
}
