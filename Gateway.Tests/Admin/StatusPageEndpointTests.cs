using System.Net;
using System.Text.Json;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Ops;

namespace Gateway.Tests.Admin;

/// <summary>The admin port's page, its files and /ui/state against a real gateway and real Kestrel backends.</summary>
public class StatusPageEndpointTests
{
    [Fact]
    public async Task Page_RootUiAndFiles_ServedFromTheAssemblyWithTypesAndETags()
    {
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));

        foreach (var path in new[] { "/", "/ui" })
        {
            using var page = await gateway.Admin.GetAsync(path);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("<script src=\"ui/app.js\"></script>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("https://", html, StringComparison.Ordinal); // nothing from a CDN
        }

        using var script = await gateway.Admin.GetAsync("/ui/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("ui/state", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var style = await gateway.Admin.GetAsync("/ui/app.css");
        Assert.Equal("text/css", style.Content.Headers.ContentType?.MediaType);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/ui/app.js");
        again.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        using var notModified = await gateway.Admin.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        using var missing = await gateway.Admin.GetAsync("/ui/nothing.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("[]", await gateway.Admin.GetStringAsync("/sd/workers")); // no local fleet
        Assert.Equal(0, backends["a"].Hits); // the admin port proxies nothing
    }

    [Fact]
    public async Task State_TrafficFailuresAndReloads_HistoryEjectionAndReloadEvents()
    {
        await using var backends = await Backends.StartAsync(2);
        var config = ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All);
        await using var gateway = await GatewayUnderTest.StartAsync(config);

        // Once a second the sampler turns the records into history: a's row gets requests/s points. Requests keep
        // coming while waiting, since the sampler's first reading of a destination is only its baseline.
        await FleetGateway.WaitUntilAsync(async () =>
        {
            await gateway.GetSequentialAsync(4);
            return Destination(await StateAsync(gateway), "a").GetProperty("history").GetProperty("rps").EnumerateArray()
                .Any(v => v.ValueKind == JsonValueKind.Number && v.GetDouble() > 0);
        }, TimeSpan.FromSeconds(15), "a requests/s point in a's history");

        // b answers 503: every try on it is retried on a, and five in a row open b's circuit (an ejection).
        backends["b"].StatusCode = 503;
        await gateway.GetSequentialAsync(12);
        var state = await StateAsync(gateway);
        var b = Destination(state, "b");
        Assert.Equal("down", b.GetProperty("state").GetString());
        Assert.Equal("circuit open", b.GetProperty("reason").GetString());
        Assert.Equal("up", Destination(state, "a").GetProperty("state").GetString());
        Assert.Contains(Events(state), e => e.Kind == "ejected" && e.Subject == "backends/b");

        // A good reload and a rejected one, from the config watcher's own log lines.
        await gateway.RewriteConfigAsync(config.Replace("RoundRobin", "LeastConnections", StringComparison.Ordinal));
        await gateway.RewriteConfigAsync(config.Replace("RoundRobin", "NoSuchPolicy", StringComparison.Ordinal), expectApplied: false);
        state = await StateAsync(gateway);
        var events = Events(state);
        Assert.Contains(events, e => e.Kind == "reload" && e.Subject == gateway.ConfigPath);
        Assert.Contains(events, e => e.Kind == "reload-error" && e.Message.Contains("NoSuchPolicy", StringComparison.Ordinal));
        Assert.Equal(2, state.GetProperty("config").GetProperty("generation").GetInt64());
        Assert.NotEqual(JsonValueKind.Null, state.GetProperty("config").GetProperty("lastReloadError").ValueKind);
        Assert.Equal("LeastConnections", state.GetProperty("clusters")[0].GetProperty("policy").GetString());
    }

    private static async Task<JsonElement> StateAsync(GatewayUnderTest gateway)
    {
        using var doc = JsonDocument.Parse(await gateway.Admin.GetStringAsync("/ui/state"));
        return doc.RootElement.Clone();
    }

    private static JsonElement Destination(JsonElement state, string id) =>
        state.GetProperty("clusters")[0].GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);

    private static List<(string Kind, string Subject, string Message)> Events(JsonElement state) =>
        state.GetProperty("events").EnumerateArray()
            .Select(e => (e.GetProperty("kind").GetString()!, e.GetProperty("subject").GetString()!, e.GetProperty("message").GetString()!))
            .ToList();
}
