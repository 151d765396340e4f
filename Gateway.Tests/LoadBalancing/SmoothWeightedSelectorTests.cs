using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

public class SmoothWeightedSelectorTests
{
    private static string Sequence(SmoothWeightedSelector selector, DestinationStats[] d, int n) =>
        string.Concat(Enumerable.Range(0, n).Select(_ => d[selector.Pick(d)].Id));

    [Fact]
    public void Pick_Weights511_GivesNginxSequence()
    {
        var d = Destinations.Make(5, 1, 1);
        Assert.Equal("aabacaa" + "aabacaa" + "aabacaa", Sequence(new SmoothWeightedSelector(), d, 21));
    }

    [Fact]
    public void Pick_LockedNginxStep_GivesSameSequenceAsPrecomputed()
    {
        var d = Destinations.Make(5, 3, 2, 1);
        Assert.Equal(Sequence(new SmoothWeightedSelector(), d, 110), Sequence(new SmoothWeightedSelector(maxPrecomputeWork: 0), d, 110));
    }

    [Fact]
    public void Pick_OnePeriod_CountsEqualWeights()
    {
        var d = Destinations.Make(7, 3, 1, 9);
        var selector = new SmoothWeightedSelector();
        var counts = new int[4];
        for (var i = 0; i < 20 * 50; i++)
        {
            counts[selector.Pick(d)]++;
        }

        Assert.Equal([350, 150, 50, 450], counts);
    }

    [Fact]
    public void Pick_NewCandidateArray_UsesNewWeights()
    {
        var selector = new SmoothWeightedSelector();
        var d = Destinations.Make(1, 1);
        Assert.Equal("abab", Sequence(selector, d, 4));
        var reweighted = new[] { d[0], d[1] };
        d[0].Weight = 3;
        Assert.Equal("aabaaaba", Sequence(selector, reweighted, 8));
    }
}
