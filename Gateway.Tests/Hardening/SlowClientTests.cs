using System.Diagnostics;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hardening;

/// <summary>
/// Slowloris through the real gateway: clients that trickle their headers or body, or sit idle on a kept-alive
/// connection, are cut off by Kestrel's limits from <c>LbProxy.ServerLimits</c>, and other clients are served meanwhile.
/// Timing-tolerant: the limits are 2 s and a cut is awaited for up to 20 s.
/// </summary>
public class SlowClientTests
{
    private static readonly TimeSpan CutWithin = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task SlowHeaders_PastRequestHeadersTimeout_ClosedWhileOthersServed()
    {
        await using var backend = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, """ "ServerLimits": { "RequestHeadersTimeoutSeconds": 2 } """));
        var url = new Uri(gateway.Host.ProxyUrls[0]);
        var slow = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => TrickleAsync(url, "GET /slow HTTP/1.1\r\nHost: gw\r\n", "X-Drip: 1\r\n")));
        for (var i = 0; i < 20; i++)
        {
            using var response = await gateway.Proxy.GetAsync($"/other/{i}");
            Assert.True(response.IsSuccessStatusCode);
        }

        var results = await Task.WhenAll(slow.Select(s => s.Cut));
        foreach (var (closed, response, took) in results)
        {
            Assert.True(closed, $"a header trickle was not cut within {CutWithin.TotalSeconds} s");
            Assert.True(response.Length == 0 || RawClient.Status(response) == 408, response);
            Assert.True(took >= TimeSpan.FromSeconds(1.5), $"cut after {took.TotalSeconds:0.0} s, before the 2 s timeout");
        }

        Assert.DoesNotContain("/slow", backend.Received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowBody_BelowMinimumDataRate_CutWhileOthersServed()
    {
        await using var backend = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url,
            """ "ServerLimits": { "MinRequestBodyBytesPerSecond": 1000, "MinDataRateGraceSeconds": 2 } """));
        var url = new Uri(gateway.Host.ProxyUrls[0]);
        var slow = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            TrickleAsync(url, "POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 100000\r\n\r\n", "0123456789")));
        for (var i = 0; i < 20; i++)
        {
            using var response = await gateway.Proxy.GetAsync($"/other/{i}");
            Assert.True(response.IsSuccessStatusCode);
        }

        foreach (var (closed, response, _) in await Task.WhenAll(slow.Select(s => s.Cut)))
        {
            Assert.True(closed, $"a body trickle was not cut within {CutWithin.TotalSeconds} s");
            Assert.True(response.Length == 0 || RawClient.Status(response) == 408, response);
        }
    }

    [Fact]
    public async Task IdleKeepAlive_PastKeepAliveTimeout_Closed()
    {
        await using var backend = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, """ "ServerLimits": { "KeepAliveTimeoutSeconds": 2 } """));
        using var client = await RawClient.ConnectAsync(new Uri(gateway.Host.ProxyUrls[0]));
        await client.SendAsync("GET /once HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal(200, RawClient.Status(await client.ReadResponseAsync()));
        var clock = Stopwatch.StartNew();
        Assert.Equal("", await client.ReadToCloseAsync(CutWithin));
        Assert.True(clock.Elapsed < CutWithin, "the idle connection was not closed");
    }

    /// <summary>Sends <paramref name="head"/>, then <paramref name="drip"/> every 300 ms until the gateway closes the connection.</summary>
    private static async Task<(RawClient Client, Task<(bool Closed, string Response, TimeSpan Took)> Cut)> TrickleAsync(Uri url, string head, string drip)
    {
        var client = await RawClient.ConnectAsync(url);
        await client.SendAsync(head);
        var clock = Stopwatch.StartNew();
        var read = client.ReadToCloseAsync(CutWithin);
        return (client, RunAsync());

        async Task<(bool, string, TimeSpan)> RunAsync()
        {
            using var _ = client;
            while (!read.IsCompleted && clock.Elapsed < CutWithin)
            {
                try
                {
                    await client.SendAsync(drip);
                }
                catch (IOException)
                {
                    break; // closed under us
                }

                await Task.WhenAny(read, Task.Delay(300));
            }

            var response = await read;
            return (clock.Elapsed < CutWithin, response, clock.Elapsed);
        }
    }
}
