using System.Net;
using System.Text.RegularExpressions;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin.Api;

/// <summary>The runtime API through the real gateway and real Kestrel backends: every change seen in the traffic.</summary>
public sealed class RuntimeApiTests
{
    [Fact]
    public async Task Drain_WithARequestInFlight_NoNewRequestsThereAndTheHeldOneCompletes()
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backends["a"].Gate = gate;
        var held = gateway.Proxy.GetAsync("/held"); // round-robin starts at a
        await Eventually(() => backends["a"].Hits == 1);

        var drained = await AdminApiClient.PostAsync(gateway.Admin, "/api/clusters/backends/destinations/a/drain");
        Assert.Equal("draining", drained.GetProperty("admin").GetProperty("state").GetString());
        Assert.Equal(1, drained.GetProperty("inFlight").GetInt64());
        Assert.False(drained.GetProperty("available").GetBoolean());

        var names = await gateway.GetSequentialAsync(30);
        Assert.Equal(1, backends["a"].Hits); // not one new request
        Assert.Equal(15, names.Count(n => n == "b"));
        Assert.Equal(15, names.Count(n => n == "c"));
        var status = AdminApiClient.StatusOf(await gateway.StatusAsync(), "backends", "a");
        Assert.Equal("draining", status.GetProperty("admin").GetProperty("state").GetString());

        backends["a"].Gate = null;
        gate.SetResult();
        using (var response = await held)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // in flight finished normally
            Assert.Equal("a", await response.Content.ReadAsStringAsync());
        }

        var after = await AdminApiClient.GetAsync(gateway.Admin, "/api/clusters/backends/destinations/a");
        Assert.Equal("drained", after.GetProperty("admin").GetProperty("state").GetString());
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        Assert.Matches(new Regex(@"lbproxy_destination_admin_state\{[^}]*destination=""a""[^}]*\} 2"), metrics);
        Assert.Matches(new Regex(@"lbproxy_admin_changes_total\{[^}]*action=""drain""[^}]*\} 1"), metrics);
        var page = await gateway.Admin.GetStringAsync("/ui/state");
        Assert.Contains("admin drain: drained", page, StringComparison.Ordinal);

        await AdminApiClient.PostAsync(gateway.Admin, "/api/clusters/backends/destinations/a/enable");
        Assert.Equal(10, (await gateway.GetSequentialAsync(30)).Count(n => n == "a"));
    }

    [Fact]
    public async Task Weight_SetAtRuntime_SharesFollowThenAReloadRestoresTheConfig()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Weighted, backends.All));
        Assert.Equal("abab", string.Concat(await gateway.GetSequentialAsync(4)));

        var changed = await AdminApiClient.PutWeightAsync(gateway.Admin, "backends", "a", 3);
        Assert.Equal(3, changed.GetProperty("weight").GetInt32());
        Assert.Equal(1, changed.GetProperty("configuredWeight").GetInt32());
        Assert.Equal(3, changed.GetProperty("admin").GetProperty("weightOverride").GetInt32());
        var names = await gateway.GetSequentialAsync(40);
        Assert.Equal(30, names.Count(n => n == "a"));
        await AdminApiClient.PostAsync(gateway.Admin, "/api/clusters/backends/destinations/b/disable");
        Assert.All(await gateway.GetSequentialAsync(6), n => Assert.Equal("a", n));
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        Assert.Matches(new Regex(@"lbproxy_destination_weight\{[^}]*destination=""a""[^}]*\} 3"), metrics);
        Assert.Matches(new Regex(@"lbproxy_destination_admin_state\{[^}]*destination=""b""[^}]*\} 3"), metrics);

        // The reload says otherwise: config weights (1, 1) and no admin state.
        await gateway.RewriteConfigAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Weighted, backends.All, new Dictionary<string, int> { ["b"] = 1 }));
        names = await gateway.GetSequentialAsync(40);
        Assert.Equal(20, names.Count(n => n == "a"));
        var a = AdminApiClient.StatusOf(await gateway.StatusAsync(), "backends", "a");
        Assert.Equal(1, a.GetProperty("weight").GetInt32());
        Assert.Equal("enabled", a.GetProperty("admin").GetProperty("state").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, a.GetProperty("admin").GetProperty("weightOverride").ValueKind);
    }

    [Fact]
    public async Task DisableEnable_LeastConnections_DisabledGetsNothingBothOutIs503EnabledGetsTrafficAgain()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.LeastConnections, backends.All));
        await AdminApiClient.PostAsync(gateway.Admin, "/api/clusters/backends/destinations/a/disable");
        backends["b"].ResetHits();
        Assert.All(await gateway.GetSequentialAsync(10), n => Assert.Equal("b", n));
        var listed = await AdminApiClient.GetAsync(gateway.Admin, "/api/clusters");
        var a = listed.GetProperty("clusters")[0].GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "a");
        Assert.Equal("disabled", a.GetProperty("admin").GetProperty("state").GetString());

        // Both out: the gateway answers 503 itself, as when every destination is down.
        await AdminApiClient.PostAsync(gateway.Admin, "/api/clusters/backends/destinations/b/drain");
        using (var none = await gateway.Proxy.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
            Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        }

        await AdminApiClient.PostAsync(gateway.Admin, "/api/clusters/backends/destinations/a/enable");
        await AdminApiClient.PostAsync(gateway.Admin, "/api/clusters/backends/destinations/b/enable");
        var names = await gateway.GetSequentialAsync(10);
        Assert.Contains("a", names);
        Assert.Contains("b", names);
    }

    [Fact]
    public async Task Errors_UnknownNamesAndBadWeights_ProblemJson()
    {
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));

        var cluster = await Problem(await gateway.Admin.PostAsync("/api/clusters/nope/destinations/a/drain", null), HttpStatusCode.NotFound);
        Assert.Contains("no cluster 'nope'", cluster, StringComparison.Ordinal);
        var destination = await Problem(await gateway.Admin.GetAsync("/api/clusters/backends/destinations/zz"), HttpStatusCode.NotFound);
        Assert.Contains("has no destination 'zz'", destination, StringComparison.Ordinal);
        foreach (var body in new[] { "{\"weight\": 0}", "{\"weight\": 10001}", "{\"weight\": \"5\"}", "{}", "not json" })
        {
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            var problem = await Problem(await gateway.Admin.PutAsync("/api/clusters/backends/destinations/a/weight", content), HttpStatusCode.BadRequest);
            Assert.Contains("{\"weight\": 5}", problem, StringComparison.Ordinal);
        }

        Assert.Equal("enabled", (await AdminApiClient.GetAsync(gateway.Admin, "/api/clusters/backends/destinations/a"))
            .GetProperty("admin").GetProperty("state").GetString());
    }

    private static async Task<string> Problem(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
        }
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }
}
