using System.Net;
using Gateway.RateLimits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.RateLimits;

/// <summary>The running rule on a fake clock: the burst, keys kept apart, Retry-After, concurrency permits, connections, keys.</summary>
public class ClientLimitTests
{
    private static ValueTask<(IDisposable? Held, string? RejectedBy, TimeSpan RetryAfter)> Acquire(ClientLimit limit, string key) =>
        limit.AcquireAsync(key, CancellationToken.None);

    [Fact]
    public async Task AcquireAsync_BurstSpent_RejectedWithRetryAfter_OtherKeyUnaffected()
    {
        var time = new FakeTimeProvider();
        var limit = new ClientLimit("r", new RateLimitRule { RequestsPerSecond = 0.1, Burst = 3 }, time);
        for (var i = 0; i < 3; i++)
        {
            Assert.Null((await Acquire(limit, "a")).RejectedBy);
        }

        var (held, rejectedBy, retryAfter) = await Acquire(limit, "a");
        Assert.Null(held);
        Assert.Equal(LimitKind.Rate, rejectedBy);
        Assert.Equal(TimeSpan.FromSeconds(10), retryAfter); // one request over at 0.1/s drains in 10 s
        Assert.Null((await Acquire(limit, "b")).RejectedBy);
        Assert.Equal(1, limit.RateRejections);

        time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.Equal(LimitKind.Rate, (await Acquire(limit, "a")).RejectedBy);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null((await Acquire(limit, "a")).RejectedBy);
    }

    [Fact]
    public async Task AcquireAsync_ConcurrencyFull_RejectedUntilAPermitIsReturned()
    {
        var limit = new ClientLimit("c", new RateLimitRule { ConcurrentRequests = 2 });
        var first = (await Acquire(limit, "a")).Held!;
        using var second = (await Acquire(limit, "a")).Held!;
        Assert.Equal(LimitKind.Concurrency, (await Acquire(limit, "a")).RejectedBy);
        using var other = (await Acquire(limit, "b")).Held;
        Assert.NotNull(other);

        first.Dispose();
        first.Dispose(); // twice is once
        using var again = (await Acquire(limit, "a")).Held;
        Assert.NotNull(again);
        Assert.Equal(LimitKind.Concurrency, (await Acquire(limit, "a")).RejectedBy);
        Assert.Equal(2, limit.ConcurrencyRejections);
    }

    [Fact]
    public async Task AcquireAsync_RateRejectedAfterPermit_PermitReturned()
    {
        var limit = new ClientLimit("both", new RateLimitRule { RequestsPerSecond = 0.1, Burst = 1, ConcurrentRequests = 1 }, new FakeTimeProvider());
        (await Acquire(limit, "a")).Held!.Dispose(); // spends the burst, returns the permit
        Assert.Equal(LimitKind.Rate, (await Acquire(limit, "a")).RejectedBy);
        Assert.Equal(0, limit.ConcurrencyRejections); // the permit taken before the rate check was given back
        Assert.Equal(LimitKind.Rate, (await Acquire(limit, "a")).RejectedBy);
        Assert.Equal(0, limit.InFlight!.Keys);
    }

    [Fact]
    public void TryOpenConnection_OverLimit_RefusedUntilOneCloses()
    {
        var limit = new ClientLimit("conn", new RateLimitRule { Connections = 2 });
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
        var limit = new ClientLimit("k", new RateLimitRule { Key = key, ConcurrentRequests = 1, Routes = ["limited"] });
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        context.Request.Headers["X-Api-Key"] = "k1";
        Assert.Equal(expected, limit.KeyFor(context, route));
    }

    [Theory]
    [InlineData(10, 10_000)]
    [InlineData(0.5, 500)]
    [InlineData(1 / 60.0, 16)] // nginx's 1r/m: 1000 / 60, truncated
    [InlineData(3 / 60.0, 50)]
    [InlineData(7 / 60.0, 116)]
    [InlineData(0.0001, 1)]
    public void Zone_RequestsPerSecond_NginxThousandths(double rate, long milliRate)
    {
        Assert.Equal(milliRate, new ClientLimit("z", new RateLimitRule { RequestsPerSecond = rate }).Zone!.MilliRate);
    }
}
