using System.Net;
using Gateway.Admin.Guard;
using Gateway.Config;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Admin.Api;

/// <summary>
/// The guard's decisions for clients off loopback, which a test cannot be (its traffic stays on 127.0.0.1): the middleware
/// itself, with the client address set as Kestrel sets it.
/// </summary>
public sealed class AdminGuardMiddlewareTests
{
    private const string Token = "0123456789abcdef-unit-token";

    private static async Task<(int Status, bool Passed)> RunAsync(string method, string path, string? token, bool openMetrics = false,
        string client = "10.1.2.3", string? bearer = null, AdminEnvironment? environment = null)
    {
        var state = new ConfigState(new InMemoryConfigProvider([], []), TimeProvider.System);
        state.Apply(new GatewayConfig([], [], new LbProxyOptions { Admin = new AdminGuardOptions { Token = token, OpenMetrics = openMetrics } }, "t"));
        var passed = false;
        var guard = new AdminGuardMiddleware(_ =>
        {
            passed = true;
            return Task.CompletedTask;
        }, state, environment ?? new AdminEnvironment(null, false));
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = IPAddress.Parse(client);
        context.Response.Body = new MemoryStream();
        if (bearer is not null)
        {
            context.Request.Headers.Authorization = "Bearer " + bearer;
        }

        await guard.InvokeAsync(context);
        return (context.Response.StatusCode, passed);
    }

    [Theory]
    [InlineData("GET", "/status", null, 403)]
    [InlineData("POST", "/api/clusters/c/destinations/d/drain", null, 403)]
    [InlineData("GET", "/status", Token, 401)]
    [InlineData("GET", "/metrics", Token, 401)]
    [InlineData("DELETE", "/api/clusters/c/destinations/d/weight", Token, 401)]
    public async Task OffLoopback_WithoutBearer_Refused(string method, string path, string? token, int status)
    {
        var (code, passed) = await RunAsync(method, path, token);
        Assert.False(passed);
        Assert.Equal(status, code);
    }

    [Theory]
    [InlineData("GET", "/healthz", null, false)]
    [InlineData("HEAD", "/readyz", Token, false)]
    [InlineData("GET", "/metrics", Token, true)]
    [InlineData("GET", "/metrics", null, true)]
    public async Task OffLoopback_ProbesAndOpenedMetrics_PassWithoutToken(string method, string path, string? token, bool openMetrics)
    {
        var (_, passed) = await RunAsync(method, path, token, openMetrics);
        Assert.True(passed);
    }

    [Fact]
    public async Task OffLoopback_RightBearer_PassesReadsAndChanges()
    {
        Assert.True((await RunAsync("GET", "/status", Token, bearer: Token)).Passed);
        Assert.True((await RunAsync("POST", "/api/clusters/c/destinations/d/drain", Token, bearer: Token)).Passed);
        Assert.False((await RunAsync("POST", "/api/clusters/c/destinations/d/drain", Token, bearer: Token[..^1])).Passed);
    }

    [Fact]
    public async Task Loopback_NoToken_EverythingPassesWithTokenOnlyReads()
    {
        Assert.True((await RunAsync("POST", "/api/x", null, client: "127.0.0.1")).Passed);
        Assert.True((await RunAsync("PUT", "/api/x", null, client: "::1")).Passed);
        Assert.True((await RunAsync("POST", "/api/x", null, client: "::ffff:127.0.0.1")).Passed);
        Assert.True((await RunAsync("GET", "/status", Token, client: "127.0.0.1")).Passed);
        Assert.Equal((401, false), await RunAsync("POST", "/api/x", Token, client: "127.0.0.1"));
    }

    [Fact]
    public async Task EnvironmentToken_WinsOverTheConfigFile()
    {
        var environment = new AdminEnvironment("environment-token-0123456789", OpenMetrics: true);
        Assert.False((await RunAsync("POST", "/api/x", Token, bearer: Token, environment: environment)).Passed);
        Assert.True((await RunAsync("POST", "/api/x", Token, bearer: "environment-token-0123456789", environment: environment)).Passed);
        Assert.True((await RunAsync("GET", "/metrics", Token, environment: environment)).Passed);
    }

    [Theory]
    [InlineData("same-token-value", "same-token-value", true)]
    [InlineData("same-token-value", "same-token-valuX", false)]
    [InlineData("same-token-value", "same", false)]
    [InlineData("same-token-value", "", false)]
    public void Matches_ComparesDigestsInConstantTime(string expected, string presented, bool match) =>
        Assert.Equal(match, AdminToken.Matches(expected, presented));

    [Theory]
    [InlineData("http://127.0.0.1:9901", true)]
    [InlineData("http://localhost:9901", true)]
    [InlineData("http://[::1]:9901", true)]
    [InlineData("http://0.0.0.0:9901", false)]
    [InlineData("http://*:9901", false)]
    [InlineData("http://+:9901", false)]
    [InlineData("http://10.0.0.5:9901", false)]
    public void IsLoopback_ListenUrls(string url, bool loopback) => Assert.Equal(loopback, AdminBinding.IsLoopback(url));
}
