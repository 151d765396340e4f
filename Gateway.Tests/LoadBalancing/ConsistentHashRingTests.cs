using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

public class ConsistentHashRingTests
{
    private static readonly ulong[] s_keys = Enumerable.Range(0, 10_000).Select(i => ConsistentHashRing.HashKey($"user-{i}")).ToArray();

    private static int[] Owners(ConsistentHashRing ring, bool[] available) =>
        s_keys.Select(k => ring.Pick(k, available)).ToArray();

    private static bool[] All(int n) => Enumerable.Repeat(true, n).ToArray();

    [Fact]
    public void Pick_SameKey_AlwaysSameDestination()
    {
        var ring = new ConsistentHashRing(Destinations.Count(5));
        Assert.Equal(Owners(ring, All(5)), Owners(ring, All(5)));
    }

    [Fact]
    public void Pick_TenDestinations_SpreadsKeysWithinTwentyFivePercentOfFair()
    {
        var owners = Owners(new ConsistentHashRing(Destinations.Count(10)), All(10));
        var counts = owners.GroupBy(o => o).Select(g => g.Count()).ToArray();
        Assert.Equal(10, counts.Length);
        Assert.All(counts, c => Assert.InRange(c, 750, 1250));
    }

    [Fact]
    public void Pick_RemoveOneOfTen_MovesOnlyItsKeys()
    {
        var ten = Destinations.Count(10);
        var before = Owners(new ConsistentHashRing(ten), All(10)).Select(i => ten[i].Id).ToArray();
        var nine = ten.Where(d => d.Id != "d").ToArray();
        var after = Owners(new ConsistentHashRing(nine), All(9)).Select(i => nine[i].Id).ToArray();

        var moved = Enumerable.Range(0, s_keys.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.True(moved.Length <= 1250, $"{moved.Length} of 10000 keys moved; at most 1.25/10 may");
        Assert.All(moved, i => Assert.Equal("d", before[i]));
    }

    [Fact]
    public void Pick_OwnerUnavailable_ItsKeysMoveAndNoOtherKey()
    {
        var d = Destinations.Count(6);
        var ring = new ConsistentHashRing(d);
        var before = Owners(ring, All(6));
        var available = All(6);
        available[2] = false;
        var after = Owners(ring, available);
        for (var i = 0; i < s_keys.Length; i++)
        {
            if (before[i] == 2)
            {
                Assert.NotEqual(2, after[i]);
            }
            else
            {
                Assert.Equal(before[i], after[i]);
            }
        }
    }

    [Fact]
    public void Pick_WeightTwo_OwnsAboutTwiceTheKeys()
    {
        var owners = Owners(new ConsistentHashRing(Destinations.Make(2, 1, 1)), All(3));
        var share = owners.Count(o => o == 0) / (double)owners.Length;
        Assert.InRange(share, 0.42, 0.58);
    }

    [Fact]
    public void Pick_NoneAvailable_ReturnsMinusOne() =>
        Assert.Equal(-1, new ConsistentHashRing(Destinations.Count(3)).Pick(s_keys[0], new bool[3]));

    [Fact]
    public void Pick_BoundedLoadsWithHotKeys_NeverExceedsCap()
    {
        const double factor = 1.25;
        var d = Destinations.Make(1, 1, 2, 1, 1);
        var ring = new ConsistentHashRing(d);
        var available = All(5);
        var random = new Random(7);
        var held = new Queue<DestinationStats>();
        for (var i = 0; i < 5000; i++)
        {
            // 80% of requests carry one of three hot keys; the rest are spread.
            var key = random.NextDouble() < 0.8 ? s_keys[random.Next(3)] : s_keys[random.Next(s_keys.Length)];
            var total = d.Sum(x => x.InFlight);
            var pick = ring.Pick(key, available, factor);
            var cap = Math.Ceiling(factor * (total + 1) * d[pick].Weight / d.Sum(x => x.Weight));
            d[pick].Begin();
            Assert.True(d[pick].InFlight <= cap, $"pick {i}: {d[pick].Id} has {d[pick].InFlight} in flight, cap {cap}");
            held.Enqueue(d[pick]);
            if (held.Count > 40)
            {
                held.Dequeue().Abandon();
            }
        }
    }

    [Fact]
    public void Pick_BoundedLoadsUnderCap_KeepsPlainOwner()
    {
        var d = Destinations.Count(4);
        var ring = new ConsistentHashRing(d);
        Assert.Equal(Owners(ring, All(4)), s_keys.Select(k => ring.Pick(k, All(4), 1.25)).ToArray());
    }
}
