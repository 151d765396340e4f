using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

public sealed class NginxMethodsTests
{
    private static NginxPeers Peers(params int[] weights) => new(weights, weights.Select(_ => true).ToArray());

    private static NginxPeers Without(NginxPeers peers, int down)
    {
        var usable = (bool[])peers.Usable.Clone();
        usable[down] = false;
        return peers with { Usable = usable };
    }

    [Fact]
    public void IpHash_Loopback_FollowsNginxArithmetic()
    {
        // 89 -> (89*113+127)%6271=3913 -> 3913*113%6271=3199 -> 3199*113%6271=4040; 4040 % 3 = 2.
        Assert.Equal(2, NginxIpHash.Pick([127, 0, 0, 1], Peers(1, 1, 1)));
    }

    [Fact]
    public void IpHash_SameFirstThreeOctets_SamePeer()
    {
        var peers = Peers(1, 2, 3, 1);
        var first = NginxIpHash.Pick([10, 1, 2, 3], peers);

        Assert.All(Enumerable.Range(0, 256), last => Assert.Equal(first, NginxIpHash.Pick([10, 1, 2, (byte)last], peers)));
    }

    [Fact]
    public void IpHash_MappedIpv4_SameAsIpv4()
    {
        byte[] mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 7, 9];
        var peers = Peers(1, 1, 1, 1, 1);

        Assert.Equal(NginxIpHash.Pick([192, 168, 7, 9], peers), NginxIpHash.Pick(mapped, peers));
    }

    [Fact]
    public void IpHash_ChosenPeerUnusable_RehashesToAnother()
    {
        var peers = Without(Peers(1, 1, 1), 2);

        var pick = NginxIpHash.Pick([127, 0, 0, 1], peers);

        Assert.InRange(pick, 0, 1);
    }

    [Fact]
    public void IpHash_NoPeerUsable_FallsBack()
    {
        var peers = new NginxPeers([1, 1], [false, false]);

        Assert.Equal(NginxIpHash.FallBack, NginxIpHash.Pick([1, 2, 3, 4], peers));
    }

    [Fact]
    public void Hash_SameKey_SamePeer_AndWeightsShareKeys()
    {
        var peers = Peers(1, 3);
        var counts = new int[2];
        for (var i = 0; i < 4000; i++)
        {
            var key = "/item/" + i;
            var pick = NginxHash.Pick(key, peers);
            Assert.Equal(pick, NginxHash.Pick(key, peers));
            counts[pick]++;
        }

        Assert.InRange(counts[1] / (double)counts[0], 2.5, 3.5);
    }

    [Fact]
    public void Hash_EmptyKeyOrOnePeer_FallsBack()
    {
        Assert.Equal(NginxIpHash.FallBack, NginxHash.Pick("", Peers(1, 1)));
        Assert.Equal(NginxIpHash.FallBack, NginxHash.Pick("k", Peers(1)));
    }

    [Fact]
    public void Hash_PeerUnusable_KeysOfOthersStay()
    {
        var peers = Peers(1, 1, 1);
        var without = Without(peers, 1);

        for (var i = 0; i < 500; i++)
        {
            var key = "k" + i;
            var before = NginxHash.Pick(key, peers);
            var after = NginxHash.Pick(key, without);
            Assert.NotEqual(1, after);
            if (before != 1)
            {
                Assert.Equal(before, after);
            }
        }
    }

    [Fact]
    public void KetamaRing_PointsPerWeight_Are160()
    {
        var ring = new NginxKetamaRing(["a:1", "b:2", "c"], [1, 2, 1]);

        Assert.Equal(4 * NginxKetamaRing.PointsPerWeight, ring.PointCount);
    }

    [Fact]
    public void KetamaRing_ServerRemoved_OnlyItsKeysMove()
    {
        var all = new NginxKetamaRing(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"], [1, 1, 1]);
        var two = new NginxKetamaRing(["10.0.0.1:80", "10.0.0.2:80"], [1, 1]);
        var moved = 0;
        for (var i = 0; i < 3000; i++)
        {
            var key = "user" + i;
            var before = all.Pick(key, Peers(1, 1, 1));
            var after = two.Pick(key, Peers(1, 1));
            if (before != 2)
            {
                Assert.Equal(before, after);
            }
            else
            {
                moved++;
            }
        }

        Assert.InRange(moved, 700, 1300); // about a third of the keys lived on the removed server
    }

    [Fact]
    public void KetamaRing_PeerUnusable_MovesToNextPointsPeer()
    {
        var ring = new NginxKetamaRing(["a:1", "b:1", "c:1"], [1, 1, 1]);
        var without = Without(Peers(1, 1, 1), 0);

        for (var i = 0; i < 300; i++)
        {
            Assert.NotEqual(0, ring.Pick("k" + i, without));
        }
    }

    [Fact]
    public void Random_WeightedDraws_FollowWeights()
    {
        var random = new Random(42);
        var counts = new int[3];
        for (var i = 0; i < 6000; i++)
        {
            counts[NginxRandom.Pick(Peers(1, 2, 3), random)]++;
        }

        Assert.InRange(counts[0], 800, 1200);
        Assert.InRange(counts[1], 1700, 2300);
        Assert.InRange(counts[2], 2600, 3400);
    }

    [Fact]
    public void RandomTwo_LessLoadedOfTheTwo_Wins()
    {
        var random = new Random(7);

        // Two peers: both are always drawn, so the idle one always wins.
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(1, NginxRandom.PickTwo(Peers(1, 1), [5, 0], random));
        }
    }

    [Fact]
    public void RandomTwo_UnusablePeer_NeverPicked()
    {
        var random = new Random(3);
        var peers = Without(Peers(1, 1, 1), 2);

        for (var i = 0; i < 200; i++)
        {
            Assert.NotEqual(2, NginxRandom.PickTwo(peers, [0, 0, 0], random));
        }
    }
}
