using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The lean forwarder's activity timeout (YARP's ActivityTimeout, the gateway's Timeouts.IdleSeconds), kept by the
/// pools' watchdog instead of a timer per request: a destination that goes quiet ends the try as YARP's forwarder ends
/// it, before the answer (504) and within the body (the client's connection aborted), with the lean forwarder on and off.
/// </summary>
public class LeanForwarderTimeoutTests
{
    private static string Config(string url, bool lean) =>
        Config(url, lean, new JsonObject
        {
            ["Retry"] = new JsonObject { ["MaxTries"] = 1, ["TryTimeoutSeconds"] = 30 },
            ["Timeouts"] = new JsonObject { ["IdleSeconds"] = 1 },
        });

    private static string Config(string url, bool lean, JsonObject resilience)
    {
        var root = JsonNode.Parse(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", url)], resilience, activeHealth: false))!;
        if (!lean)
        {
            root["ReverseProxy"]!["Clusters"]!["backends"]!["Metadata"] = new JsonObject { [LeanForwarder.MetadataKey] = "off" };
        }

        return root.ToJsonString();
    }

    private static long Forwarded(GatewayUnderTest gateway) =>
        Assert.IsType<LeanForwarder>(gateway.Host.Services.GetRequiredService<IHttpForwarder>()).ForwardedCount;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Proxy_DestinationNeverAnswers_504AfterTheActivityTimeout(bool lean)
    {
        await using var silent = RawBackend.Start(_ => new RawReply("")); // reads the request, answers nothing, keeps the connection
        await using var gateway = await GatewayUnderTest.StartAsync(Config(silent.Url, lean));

        var clock = Stopwatch.StartNew();
        using var response = await gateway.Proxy.GetAsync("/slow");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1) + LeanConnectionPools.WatchdogPeriod + TimeSpan.FromSeconds(2));
        Assert.Equal(lean ? 1 : 0, Forwarded(gateway));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Proxy_DestinationStopsMidBody_ClientResponseAbortedAfterTheActivityTimeout(bool lean)
    {
        await using var stalling = RawBackend.Start(_ => new RawReply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(stalling.Url, lean));

        var clock = Stopwatch.StartNew();
        using var response = await gateway.Proxy.GetAsync("/half", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the head went out with the first bytes
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => response.Content.ReadAsByteArrayAsync());

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1) + LeanConnectionPools.WatchdogPeriod + TimeSpan.FromSeconds(2));
        Assert.Equal(lean ? 1 : 0, Forwarded(gateway));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Proxy_InfiniteActivityTimeout_SilentDestinationEndedByTheTryTimeoutInstead(bool lean)
    {
        await using var silent = RawBackend.Start(_ => new RawReply(""));
        var root = JsonNode.Parse(Config(silent.Url, lean, new JsonObject { ["Retry"] = new JsonObject { ["MaxTries"] = 1, ["TryTimeoutSeconds"] = 2 } }))!;
        root["ReverseProxy"]!["Clusters"]!["backends"]!["HttpRequest"] = new JsonObject { ["ActivityTimeout"] = "-00:00:00.0010000" }; // Timeout.InfiniteTimeSpan
        await using var gateway = await GatewayUnderTest.StartAsync(root.ToJsonString());

        var clock = Stopwatch.StartNew();
        using var response = await gateway.Proxy.GetAsync("/slow");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(6)); // the try's 2 s, not the watchdog's next second
        Assert.Equal(lean ? 1 : 0, Forwarded(gateway));
    }

    [Fact]
    public async Task Proxy_SlowButSteadyBody_NotCutByTheActivityTimeout()
    {
        // Five chunks 400 ms apart: two seconds in all, never a second without a byte.
        await using var backend = await SlowBodyBackend.StartAsync(chunks: 5, gap: TimeSpan.FromMilliseconds(400));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend.Url, lean: true));

        using var response = await gateway.Proxy.GetAsync("/stream");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("01234", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, Forwarded(gateway));
    }

    /// <summary>A destination that sends its chunked body a byte at a time with a pause before each.</summary>
    private sealed class SlowBodyBackend : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private SlowBodyBackend(WebApplication app) => _app = app;

        public string Url => _app.Urls.First();

        public static async Task<SlowBodyBackend> StartAsync(int chunks, TimeSpan gap)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.Run(async context =>
            {
                for (var i = 0; i < chunks; i++)
                {
                    await Task.Delay(gap, context.RequestAborted);
                    await context.Response.WriteAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            });
            await app.StartAsync();
            return new SlowBodyBackend(app);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
