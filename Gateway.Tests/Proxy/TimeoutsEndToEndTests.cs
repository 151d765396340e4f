using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

/// <summary>
/// Envoy's three timeouts through the real gateway: per try (to the first response byte), idle (a stream is never
/// cut while it moves), and the route's deadline (the whole request, however it trickles).
/// </summary>
public class TimeoutsEndToEndTests
{
    private static string Config(IEnumerable<TestBackend> backends, double trySeconds, double idleSeconds, double routeSeconds)
    {
        var resilience = ResilienceConfig.FastResilience();
        resilience["Retry"]!["TryTimeoutSeconds"] = trySeconds;
        resilience["Timeouts"] = new JsonObject { ["IdleSeconds"] = idleSeconds, ["RouteSeconds"] = routeSeconds };
        return ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, backends.Select(b => (b.Name, b.Url)), resilience, activeHealth: false);
    }

    [Fact]
    public async Task SlowStream_GapsLongerThanTheTryTimeout_IsNotCut()
    {
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, trySeconds: 0.5, idleSeconds: 3, routeSeconds: 0));
        Assert.Equal(["a"], await gateway.GetSequentialAsync(1)); // warm: a first request's start-up is no part of this
        backends["a"].ChunkCount = 3;
        backends["a"].ChunkInterval = TimeSpan.FromMilliseconds(800);

        using var response = await gateway.Proxy.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a...", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Trickle_PastTheRouteDeadline_IsCut()
    {
        await using var backends = await Backends.StartAsync(1);
        backends["a"].ChunkCount = 50;
        backends["a"].ChunkInterval = TimeSpan.FromMilliseconds(100); // never idle, never done within the deadline
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, trySeconds: 5, idleSeconds: 5, routeSeconds: 1));

        var clock = Stopwatch.StartNew();
        using var response = await gateway.Proxy.GetAsync("/", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(async () => await response.Content.ReadAsStringAsync());
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.8, 4);
    }

    [Fact]
    public async Task SlowFirstByte_PastTheTryTimeout_RetriedElsewhereAndRouteDeadlineAnswers504()
    {
        await using var backends = await Backends.StartAsync(2);
        backends["a"].Delay = TimeSpan.FromSeconds(3);
        await using (var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, trySeconds: 0.3, idleSeconds: 5, routeSeconds: 0)))
        {
            Assert.Equal(["b"], await gateway.GetSequentialAsync(1)); // round-robin starts at a: timed out, retried on b
        }

        backends["b"].Delay = TimeSpan.FromSeconds(3);
        await using (var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, trySeconds: 2, idleSeconds: 5, routeSeconds: 0.5)))
        {
            var clock = Stopwatch.StartNew();
            using var response = await gateway.Proxy.GetAsync("/");
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            Assert.InRange(clock.Elapsed.TotalSeconds, 0.4, 2);
            Assert.Contains("Timeouts.RouteSeconds", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
