using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.RateLimits;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.RateLimits;

/// <summary>
/// A rule's Queue (nginx limit_req without nodelay) and the front key (nginx.conf's zones): count-based, with a rate of
/// one per 10 s so nothing is replenished while a test runs.
/// </summary>
public class ClientLimitQueueTests
{
    [Fact]
    public async Task AcquireAsync_QueueSet_OverTheBurstWaitsInLine_PastTheQueueRejected()
    {
        using var limit = new ClientLimit("q", new RateLimitRule { RequestsPerSecond = 0.1, Burst = 1, Queue = 2 });
        using var cancel = new CancellationTokenSource();

        var first = await limit.AcquireAsync("a", cancel.Token);
        var second = limit.AcquireAsync("a", cancel.Token).AsTask();
        var third = limit.AcquireAsync("a", cancel.Token).AsTask();
        var fourth = await limit.AcquireAsync("a", cancel.Token);
        var otherKey = await limit.AcquireAsync("b", cancel.Token);

        Assert.Null(first.RejectedBy);
        Assert.False(second.IsCompleted); // waiting for the next token, not answered
        Assert.False(third.IsCompleted);
        Assert.Equal(LimitKind.Rate, fourth.RejectedBy); // the queue holds two
        Assert.Null(otherKey.RejectedBy);
        Assert.Equal(1, limit.RateRejections);
        await cancel.CancelAsync(); // a client that goes away leaves the line
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
    }

    [Fact]
    public async Task AcquireAsync_NoQueue_SameAsAcquire()
    {
        using var limit = new ClientLimit("n", new RateLimitRule { RequestsPerSecond = 0.1, Burst = 2 });

        Assert.Null((await limit.AcquireAsync("a", CancellationToken.None)).RejectedBy);
        Assert.Null((await limit.AcquireAsync("a", CancellationToken.None)).RejectedBy);
        Assert.Equal(LimitKind.Rate, (await limit.AcquireAsync("a", CancellationToken.None)).RejectedBy);
    }

    [Fact]
    public void KeyFor_FrontKey_LeftToTheFront()
    {
        using var limit = new ClientLimit("f", new RateLimitRule { Key = RateLimitRule.FrontKey, RequestsPerSecond = 1 });
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
