using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

public class RoundRobinSelectorTests
{
    [Fact]
    public void Pick_ThreeDestinations_RotatesInOrder()
    {
        var selector = new RoundRobinSelector();
        var picks = Enumerable.Range(0, 7).Select(_ => selector.Pick(3)).ToArray();
        Assert.Equal([0, 1, 2, 0, 1, 2, 0], picks);
    }

    [Fact]
    public void Pick_ManyTurns_ExactlyEqualCounts()
    {
        var selector = new RoundRobinSelector();
        var counts = new int[7];
        for (var i = 0; i < 7000; i++)
        {
            counts[selector.Pick(7)]++;
        }

        Assert.All(counts, c => Assert.Equal(1000, c));
    }

    [Fact]
    public async Task Pick_ConcurrentCallers_StillExactlyEqualCounts()
    {
        var selector = new RoundRobinSelector();
        var counts = new int[4];
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                Interlocked.Increment(ref counts[selector.Pick(4)]);
            }
        })));
        Assert.All(counts, c => Assert.Equal(10_000, c));
    }

    [Fact]
    public void Pick_NoDestinations_ReturnsMinusOne() => Assert.Equal(-1, new RoundRobinSelector().Pick(0));
}
