using Microsoft.Extensions.Time.Testing;
using ModelWorker.Cache;
using ModelWorker.Models;

namespace Gateway.Tests.Worker.Cache;

/// <summary>The LRU on its own, under fake time: keyed by model, version and row bytes; capacity and TTL.</summary>
public sealed class PredictionCacheTests
{
    private static readonly ModelKey Iris = new("iris", "1");
    private static readonly ModelKey IrisV2 = new("iris", "2");
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryGet_StoredRow_CopiesTheAnswerAndOtherRowsOrVersionsMiss()
    {
        var cache = Cache(capacity: 4);
        cache.Store(Iris, 1, [1f, 2f], [0.25f, 0.75f]);
        var output = new float[2];

        Assert.True(cache.TryGet(Iris, 1, [1f, 2f], output));
        Assert.Equal([0.25f, 0.75f], output);
        Assert.False(cache.TryGet(Iris, 1, [1f, 2.0001f], output));
        Assert.False(cache.TryGet(IrisV2, 2, [1f, 2f], output)); // another version: its own seed and key
        Assert.False(cache.TryGet(IrisV2, 1, [1f, 2f], output)); // same hash, other key: bytes and key are compared
    }

    [Fact]
    public void TryGet_PastTheTimeToLive_MissesAndDropsTheEntry()
    {
        var cache = Cache(capacity: 4, ttl: TimeSpan.FromSeconds(30));
        cache.Store(Iris, 1, [1f, 2f], [0.25f, 0.75f]);
        var output = new float[2];

        _time.Advance(TimeSpan.FromSeconds(29));
        var before = cache.TryGet(Iris, 1, [1f, 2f], output);
        _time.Advance(TimeSpan.FromSeconds(1));
        var at = cache.TryGet(Iris, 1, [1f, 2f], output);

        Assert.True(before);
        Assert.False(at);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Store_OverCapacity_DropsTheLeastRecentlyUsed()
    {
        var cache = Cache(capacity: 2);
        var output = new float[1];
        cache.Store(Iris, 1, [1f], [0.1f]);
        cache.Store(Iris, 1, [2f], [0.2f]);
        Assert.True(cache.TryGet(Iris, 1, [1f], output)); // 1 is now more recent than 2

        cache.Store(Iris, 1, [3f], [0.3f]);

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet(Iris, 1, [2f], output));
        Assert.True(cache.TryGet(Iris, 1, [1f], output));
        Assert.True(cache.TryGet(Iris, 1, [3f], output));
        Assert.Equal([0.3f], output);
    }

    [Fact]
    public void TryGet_CapacityZero_IsOffAndKeepsNothing()
    {
        var cache = Cache(capacity: 0);
        cache.Store(Iris, 1, [1f], [0.1f]);

        Assert.False(cache.Enabled);
        Assert.False(cache.TryGet(Iris, 1, [1f], new float[1]));
        Assert.Equal(0, cache.Count);
    }

    private PredictionCache Cache(int capacity, TimeSpan? ttl = null) =>
        new(new PredictionCacheOptions { Capacity = capacity, TimeToLive = ttl ?? TimeSpan.FromMinutes(1) }, _time);
}
