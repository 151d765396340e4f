using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.RateLimits;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.RateLimits;

/// <summary>
/// A rule's Queue (nginx limit_req without nodelay: burst = Burst - 1 + Queue, delay = Burst - 1) on a fake clock: a
/// request over the burst waits exactly until the bucket has drained to its turn; past the queue it is turned away.
/// </summary>
public class ClientLimitQueueTests
{
    [Fact]
    public async Task AcquireAsync_QueueSet_OverTheBurstWaitsItsTurn_PastTheQueueRejected()
    {
        var time = new FakeTimeProvider();
        var limit = new ClientLimit("q", new RateLimitRule { RequestsPerSecond = 2, Burst = 1, Queue = 2 }, time);
        using var cancel = new CancellationTokenSource();

        var first = await limit.AcquireAsync("a", cancel.Token);
        var second = limit.AcquireAsync("a", cancel.Token).AsTask();
        var third = limit.AcquireAsync("a", cancel.Token).AsTask();
        var fourth = await limit.AcquireAsync("a", cancel.Token);
        var otherKey = await limit.AcquireAsync("b", cancel.Token);

        Assert.Null(first.RejectedBy);
        Assert.False(second.IsCompleted); // waiting its turn, not answered
        Assert.False(third.IsCompleted);
        Assert.Equal(LimitKind.Rate, fourth.RejectedBy); // the queue holds two
        Assert.Equal(TimeSpan.FromMilliseconds(500), fourth.RetryAfter);
        Assert.Null(otherKey.RejectedBy);
        Assert.Equal(1, limit.RateRejections);

        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1)); // 2 r/s: the second goes at 500 ms, the third at 1 s
        Assert.Null((await second).RejectedBy);
        Assert.False(third.IsCompleted);
        await cancel.CancelAsync(); // a client that goes away leaves the line
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
    }

    [Fact]
    public async Task AcquireAsync_NoQueue_BurstAtOnceThenRejected()
    {
        var limit = new ClientLimit("n", new RateLimitRule { RequestsPerSecond = 0.1, Burst = 2 }, new FakeTimeProvider());

        Assert.Null((await limit.AcquireAsync("a", CancellationToken.None)).RejectedBy);
        Assert.Null((await limit.AcquireAsync("a", CancellationToken.None)).RejectedBy);
        Assert.Equal(LimitKind.Rate, (await limit.AcquireAsync("a", CancellationToken.None)).RejectedBy);
    }

    [Fact]
    public void KeyFor_FrontKey_LeftToTheFront()
    {
        var limit = new ClientLimit("f", new RateLimitRule { Key = RateLimitRule.FrontKey, RequestsPerSecond = 1 });
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;

        Assert.Null(limit.KeyFor(context, "any")); // the proxy pipeline does not count it; the nginx front gives its key
    }

    [Theory]
    [InlineData("""{ "Key": "ip", "ConcurrentRequests": 1, "Queue": 5 }""", "needs RequestsPerSecond")]
    [InlineData("""{ "Key": "ip", "RequestsPerSecond": 1, "Queue": -1 }""", "must be >= 0")]
    [InlineData("""{ "Key": "front", "RequestsPerSecond": 1 }""", "is 'front'")]
    public async Task Rule_BadQueueOrFrontKey_Error(string rule, string problem)
    {
        var json = ConfigJson.WithLbProxy(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", "http://127.0.0.1:1")], activeHealth: false),
            "RateLimits", new JsonObject { ["r1"] = JsonNode.Parse(rule) });
        var (config, errors) = await ConfigFileParser.ParseAsync("gateway.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

        Assert.Null(config);
        Assert.Contains(errors, e => (e.Problem + e.Fix).Contains(problem, StringComparison.Ordinal));
    }
}
