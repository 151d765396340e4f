using System.Net;
using Gateway.RateLimits;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.RateLimits;

/// <summary>The running rule, count-based (no clock): the burst, keys kept apart, concurrency permits, connections, keys.</summary>
public class ClientLimitTests
{
    [Fact]
    public void Acquire_BurstSpent_RejectedWithRetryAfter_OtherKeyUnaffected()
    {
        // 1 request per 10 s: nothing is replenished while the test runs, so the counts are exact.
        using var limit = new ClientLimit("r", new RateLimitRule { RequestsPerSecond = 0.1, Burst = 3 });
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(limit.Acquire("a").RejectedBy);
        }

        var (held, rejectedBy, retryAfter) = limit.Acquire("a");
        Assert.Null(held);
        Assert.Equal(LimitKind.Rate, rejectedBy);
        Assert.True(retryAfter >= TimeSpan.FromSeconds(1), $"Retry-After {retryAfter}");
        Assert.Null(limit.Acquire("b").RejectedBy);
        Assert.Equal(1, limit.RateRejections);
    }

    [Fact]
    public void Acquire_ConcurrencyFull_RejectedUntilAPermitIsReturned()
    {
        using var limit = new ClientLimit("c", new RateLimitRule { ConcurrentRequests = 2 });
        var first = limit.Acquire("a").Held!;
        using var second = limit.Acquire("a").Held!;
        Assert.Equal(LimitKind.Concurrency, limit.Acquire("a").RejectedBy);
        using var other = limit.Acquire("b").Held!;
        Assert.True(other.IsAcquired);

        first.Dispose();
        using var again = limit.Acquire("a").Held!;
        Assert.True(again.IsAcquired);
        Assert.Equal(1, limit.ConcurrencyRejections);
    }

    [Fact]
    public void Acquire_RateRejectedAfterPermit_PermitReturned()
    {
        using var limit = new ClientLimit("both", new RateLimitRule { RequestsPerSecond = 0.1, Burst = 1, ConcurrentRequests = 1 });
        limit.Acquire("a").Held!.Dispose(); // spends the only token, returns the permit
        Assert.Equal(LimitKind.Rate, limit.Acquire("a").RejectedBy);
        Assert.Equal(0, limit.ConcurrencyRejections); // the permit taken before the rate check was given back
        Assert.Equal(LimitKind.Rate, limit.Acquire("a").RejectedBy);
    }

    [Fact]
    public void TryOpenConnection_OverLimit_RefusedUntilOneCloses()
    {
        using var limit = new ClientLimit("conn", new RateLimitRule { Connections = 2 });
        var client = IPAddress.Parse("10.0.0.1");
        Assert.True(limit.TryOpenConnection(client));
        Assert.True(limit.TryOpenConnection(client));
        Assert.False(limit.TryOpenConnection(client));
        Assert.True(limit.TryOpenConnection(IPAddress.Parse("10.0.0.2")));
        limit.CloseConnection(client);
        Assert.True(limit.TryOpenConnection(client));
        Assert.Equal(3, limit.OpenConnections);
        Assert.Equal(1, limit.ConnectionRejections);
    }

    [Theory]
    [InlineData("ip", "limited", "10.1.2.3")]
    [InlineData("route", "limited", "limited")]
    [InlineData("header:X-Api-Key", "limited", "k1")]
    [InlineData("header:X-Missing", "limited", null)]
    [InlineData("ip", "other", null)]
    public void KeyFor_KeySourceAndRoutes_KeyOrNotCounted(string key, string route, string? expected)
    {
        using var limit = new ClientLimit("k", new RateLimitRule { Key = key, ConcurrentRequests = 1, Routes = ["limited"] });
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        context.Request.Headers["X-Api-Key"] = "k1";
        Assert.Equal(expected, limit.KeyFor(context, route));
    }

    [Theory]
    [InlineData(10, 1, 100)]
    [InlineData(25, 5, 200)]
    [InlineData(0.5, 1, 2000)]
    [InlineData(3, 3, 1000)]
    [InlineData(1000, 100, 100)]
    public void TokenRate_RequestsPerSecond_WholeStepsOf100Ms(double rate, int tokens, int periodMs)
    {
        Assert.Equal((tokens, TimeSpan.FromMilliseconds(periodMs)), TokenRate.For(rate));
    }
}
