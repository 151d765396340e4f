using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Gateway.Admin.Guard;
using Gateway.LoadBalancing;
using Gateway.Tests.AccessLog;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin.Api;

/// <summary>The guarded admin surface with real requests (and a real process for the start-up refusal).</summary>
public sealed class AdminGuardTests
{
    private const string Token = "0123456789abcdef-test-token";

    private static string WithAdmin(string config, string token, bool openMetrics = false)
    {
        var root = JsonNode.Parse(config)!.AsObject();
        root["LbProxy"] = new JsonObject { ["Admin"] = new JsonObject { ["Token"] = token, ["OpenMetrics"] = openMetrics } };
        return root.ToJsonString();
    }

    [Fact]
    public async Task StateChange_WithTokenConfigured_401WithoutOrWrong200WithBearerReadsStayOpenOnLoopback()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(WithAdmin(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All), Token));
        const string Drain = "/api/clusters/backends/destinations/a/drain";

        using (var missing = await gateway.Admin.PostAsync(Drain, null))
        {
            await AssertProblem(missing, HttpStatusCode.Unauthorized, "State-changing requests need the admin token");
            Assert.Equal("Bearer realm=\"lbproxy-admin\"", missing.Headers.WwwAuthenticate.ToString());
        }

        using (var wrong = await Send(gateway.Admin, HttpMethod.Post, Drain, Token + "x"))
        {
            await AssertProblem(wrong, HttpStatusCode.Unauthorized, "does not match");
            Assert.Contains("invalid_token", wrong.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // A path nobody mapped yet (another feature's endpoint) is guarded the same: the guard runs before routing's endpoints.
        using (var other = await gateway.Admin.PutAsync("/api/routes/all/split", new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        }

        Assert.Equal("enabled", (await AdminApiClient.GetAsync(gateway.Admin, "/api/clusters/backends/destinations/a"))
            .GetProperty("admin").GetProperty("state").GetString()); // nothing changed, and loopback may read without the token

        using (var ok = await Send(gateway.Admin, HttpMethod.Post, Drain, Token))
        {
            Assert.Equal("drained", (await AdminApiClient.ReadAsync(ok, HttpStatusCode.OK)).GetProperty("admin").GetProperty("state").GetString());
        }

        Assert.All(await gateway.GetSequentialAsync(4), n => Assert.Equal("b", n));
        Assert.Equal(HttpStatusCode.OK, (await gateway.Admin.GetAsync("/status")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Admin.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Start_AdminOnAllInterfacesWithoutToken_ProcessExits1WithAClearError()
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-guard-").FullName;
        try
        {
            var config = Path.Combine(folder, "gateway.json");
            await File.WriteAllTextAsync(config, """{ "ReverseProxy": { "Routes": {}, "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:1" } } } } } }""");
            await using var gateway = await LaunchedGateway.StartAsync(config, adminUrls: "http://0.0.0.0:0");
            Assert.True(gateway.HasExited, gateway.Output);
            Assert.Equal(1, gateway.ExitCode);
            Assert.Contains("error: the admin listener would listen on http://0.0.0.0:0, which is not loopback, without a token", gateway.Output,
                StringComparison.Ordinal);
            Assert.Contains(AdminGuardOptions.TokenVariable, gateway.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Start_AdminOnAllInterfacesWithTokenInEnvironment_StartsAndStateChangesNeedIt()
    {
        await using var backends = await Backends.StartAsync(1);
        var folder = Directory.CreateTempSubdirectory("lbproxy-guard-").FullName;
        try
        {
            var config = Path.Combine(folder, "gateway.json");
            await File.WriteAllTextAsync(config, ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));
            await using var gateway = await LaunchedGateway.StartAsync(config, new Dictionary<string, string> { [AdminGuardOptions.TokenVariable] = Token },
                adminUrls: "http://0.0.0.0:0");
            Assert.False(gateway.HasExited, gateway.Output);
            // Traffic stays on 127.0.0.1: the listener's port, reached over loopback.
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Admin!.Port}") };
            Assert.Equal(HttpStatusCode.Unauthorized, (await admin.PostAsync("/api/clusters/backends/destinations/a/disable", null)).StatusCode);
            using var ok = await Send(admin, HttpMethod.Post, "/api/clusters/backends/destinations/a/disable", Token);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Start_InProcessOffLoopbackWithoutToken_Throws()
    {
        var config = new Gateway.Config.GatewayConfig([], [], new Gateway.Config.LbProxyOptions(), "test");
        var error = await Assert.ThrowsAsync<AdminExposureException>(() => GatewayHost.StartAsync(new GatewayHostOptions
        {
            Config = config,
            Urls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0", "http://[::]:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
        }));
        Assert.Contains("would listen on http://[::]:0, which is not loopback", error.Message, StringComparison.Ordinal); // only the exposed one
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.Contains(detail, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
