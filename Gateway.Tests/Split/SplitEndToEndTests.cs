using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Split;

/// <summary>Splits through the real gateway to real Kestrel backends: "a" serves the stable cluster, "b" the canary.</summary>
public class SplitEndToEndTests
{
    private static Dictionary<string, string> Clusters(Backends backends) => new()
    {
        ["stable"] = backends["a"].Url,
        ["canary"] = backends["b"].Url,
    };

    [Fact]
    public async Task Split_70To30_SharesMatchWeights()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(Clusters(backends),
            new JsonObject { ["Weights"] = SplitConfigs.Weights(("stable", 70), ("canary", 30)) }));

        var names = await gateway.GetSequentialAsync(1000);
        // Binomial(1000, 0.3): sd 14.5; +-60 is more than 4 sd, so this fails only when the shares are wrong.
        Assert.InRange(names.Count(n => n == "b"), 240, 360);
        Assert.Equal(1000, names.Count(n => n is "a" or "b"));

        // Each side's requests are counted under its own cluster, as if the route named it.
        var status = await gateway.StatusAsync();
        var requests = status.GetProperty("clusters").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!,
            c => c.GetProperty("destinations").EnumerateArray().Sum(d => d.GetProperty("requests").GetInt64()));
        Assert.Equal(names.Count(n => n == "b"), requests["canary"]);
        Assert.Equal(names.Count(n => n == "a"), requests["stable"]);
        var split = Assert.Single(status.GetProperty("splits").EnumerateArray().ToList());
        Assert.Equal(30, split.GetProperty("sides").EnumerateArray().Single(s => s.GetProperty("cluster").GetString() == "canary").GetProperty("percent").GetDouble());

        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains($"lbproxy_split_weight_percent{{otel_scope_name=\"{gateway.MeterName}\",cluster=\"canary\",route=\"all\"}} 30", metrics,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Split_StickyHeader_KeepsEachUserOnOneSide()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(Clusters(backends),
            new JsonObject { ["Weights"] = SplitConfigs.Weights(("stable", 50), ("canary", 50)), ["StickyKey"] = "header:X-User-Id" }));

        var sides = new Dictionary<string, HashSet<string>>();
        for (var round = 0; round < 4; round++)
        {
            for (var user = 0; user < 60; user++)
            {
                var id = $"user-{user}";
                var name = Assert.Single(await gateway.GetSequentialAsync(1, configure: r => r.Headers.Add("X-User-Id", id)));
                (sides.TryGetValue(id, out var set) ? set : sides[id] = []).Add(name);
            }
        }

        Assert.All(sides.Values, s => Assert.Single(s));
        var onCanary = sides.Values.Count(s => s.Contains("b"));
        Assert.InRange(onCanary, 10, 50); // both sides get users (Binomial(60, 0.5): 30 +- 3.9)

        // Without the key the request is split at random, never refused.
        var anonymous = await gateway.GetSequentialAsync(200);
        Assert.Contains("a", anonymous);
        Assert.Contains("b", anonymous);
    }

    [Fact]
    public async Task AdminApi_PutSplit_SeenInTrafficAndBlueGreenRollsBack()
    {
        await using var backends = await Backends.StartAsync(2);
        var clusters = new Dictionary<string, string> { ["stable"] = backends["a"].Url, ["canary"] = backends["b"].Url };
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(clusters, split: null, activeHealth: true));
        Assert.All(await gateway.GetSequentialAsync(20), n => Assert.Equal("a", n));

        // Blue-green: everything to the new side at once.
        using (var response = await gateway.Admin.PutAsJsonAsync("/api/routes/all/split",
            new { Weights = new Dictionary<string, int> { ["stable"] = 0, ["canary"] = 100 } }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.All(await gateway.GetSequentialAsync(50), n => Assert.Equal("b", n));

        // The old side still gets its health probes: warm for a rollback.
        var probes = backends["a"].Hits;
        var split = await SplitAsync(gateway);
        await WaitAsync(() => backends["a"].Hits > probes + 2, "the idle side's active probes");
        var stableSide = split.GetProperty("sides").EnumerateArray().Single(s => s.GetProperty("cluster").GetString() == "stable");
        Assert.Equal(1, stableSide.GetProperty("available").GetInt32());
        Assert.Equal("api", split.GetProperty("source").GetString());

        // Roll back the same way, and drop the API's split (the file has none).
        using (var back = await gateway.Admin.PutAsJsonAsync("/api/routes/all/split",
            new { Weights = new Dictionary<string, int> { ["stable"] = 100, ["canary"] = 0 } }))
        {
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        }

        Assert.All(await gateway.GetSequentialAsync(50), n => Assert.Equal("a", n));
        using (var delete = await gateway.Admin.DeleteAsync("/api/routes/all/split"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        Assert.Empty((await gateway.StatusAsync()).GetProperty("splits").EnumerateArray());
        Assert.Contains("split set through the admin API", await gateway.Admin.GetStringAsync("/ui/state"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_ChangedSplit_SeenInTraffic()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(Clusters(backends),
            new JsonObject { ["Weights"] = SplitConfigs.Weights(("stable", 1), ("canary", 0)) }));
        Assert.All(await gateway.GetSequentialAsync(20), n => Assert.Equal("a", n));

        await gateway.RewriteConfigAsync(SplitConfigs.Write(Clusters(backends),
            new JsonObject { ["Weights"] = SplitConfigs.Weights(("stable", 0), ("canary", 1)) }));
        Assert.All(await gateway.GetSequentialAsync(20), n => Assert.Equal("b", n));

        // A split the file no longer has is gone: the route's own cluster takes everything again.
        await gateway.RewriteConfigAsync(SplitConfigs.Write(Clusters(backends), split: null));
        Assert.All(await gateway.GetSequentialAsync(20), n => Assert.Equal("a", n));
    }

    [Fact]
    public async Task AdminApi_BadSplit_AnswersProblemJson()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(Clusters(backends), split: null));

        using var bad = await gateway.Admin.PutAsJsonAsync("/api/routes/all/split",
            new { Weights = new Dictionary<string, int> { ["stable"] = 50, ["green"] = 50 }, StickyKey = "body" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Contains("cluster 'green', which is not defined", problem, StringComparison.Ordinal);
        Assert.Contains("StickyKey is 'body'", problem, StringComparison.Ordinal);

        using var unknownRoute = await gateway.Admin.PutAsJsonAsync("/api/routes/nope/split",
            new { Weights = new Dictionary<string, int> { ["stable"] = 1 } });
        Assert.Equal(HttpStatusCode.NotFound, unknownRoute.StatusCode);
        Assert.Equal("application/problem+json", unknownRoute.Content.Headers.ContentType?.MediaType);

        using var notJson = await gateway.Admin.PutAsync("/api/routes/all/split", new StringContent("{ \"Weigths\": {} }"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        Assert.All(await gateway.GetSequentialAsync(10), n => Assert.Equal("a", n)); // nothing changed
    }

    [Fact]
    public async Task Canary_Erroring_RolledBackAutomatically()
    {
        await using var backends = await Backends.StartAsync(2);
        backends["b"].StatusCode = 500;
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(Clusters(backends), Canary()));

        var split = await DriveUntilAsync(gateway, phase => phase == "rolled-back");
        var decision = split.GetProperty("analysis").GetProperty("decisions").EnumerateArray().Last();
        Assert.Equal("rollback", decision.GetProperty("decision").GetString());
        Assert.Contains("error rate", decision.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var names = await GetAllAsync(gateway, 50);
        Assert.All(names, n => Assert.Equal("a", n));
        Assert.Contains($"lbproxy_canary_decisions_total{{otel_scope_name=\"{gateway.MeterName}\",decision=\"rollback\",route=\"all\"}} 1",
            await gateway.Admin.GetStringAsync("/metrics"), StringComparison.Ordinal);
        Assert.Contains("canary-rollback", await gateway.Admin.GetStringAsync("/ui/state"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Canary_Healthy_PromotedTo100()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(Clusters(backends), Canary()));

        var split = await DriveUntilAsync(gateway, phase => phase == "promoted");
        var decisions = split.GetProperty("analysis").GetProperty("decisions").EnumerateArray()
            .Select(d => (d.GetProperty("decision").GetString(), d.GetProperty("canaryPercent").GetInt32())).Where(d => d.Item1 != "hold").ToList();
        Assert.Equal([("start", 10), ("promote", 50), ("promote", 100)], decisions);
        Assert.All(await GetAllAsync(gateway, 50), n => Assert.Equal("b", n));
    }

    /// <summary>Short windows and a generous latency tolerance: on 2 shared cores a healthy side's p95 can jump by milliseconds.</summary>
    private static JsonObject Canary() => new()
    {
        ["Weights"] = SplitConfigs.Weights(("stable", 100), ("canary", 0)),
        ["Analysis"] = new JsonObject
        {
            ["Stable"] = "stable",
            ["Canary"] = "canary",
            ["Steps"] = new JsonArray(10, 50, 100),
            ["IntervalSeconds"] = 0.5,
            ["MinRequests"] = 10,
            ["P95ToleranceSeconds"] = 0.25,
        },
    };

    private static async Task<JsonElement> SplitAsync(GatewayUnderTest gateway)
    {
        using var doc = JsonDocument.Parse(await gateway.Admin.GetStringAsync("/api/routes/all/split"));
        return doc.RootElement.Clone();
    }

    /// <summary>Sends traffic (4 clients) until the analysis reaches a phase; at most 30 s.</summary>
    private static async Task<JsonElement> DriveUntilAsync(GatewayUnderTest gateway, Func<string?, bool> done)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var load = Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await gateway.Proxy.GetAsync("/", stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }).ToList();
        try
        {
            while (true)
            {
                stop.Token.ThrowIfCancellationRequested();
                var split = await SplitAsync(gateway);
                if (split.GetProperty("analysis").ValueKind == JsonValueKind.Object
                    && done(split.GetProperty("analysis").GetProperty("phase").GetString()))
                {
                    return split;
                }

                await Task.Delay(100, stop.Token);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
    }

    private static async Task<List<string>> GetAllAsync(GatewayUnderTest gateway, int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            names.Add(await gateway.Proxy.GetStringAsync("/"));
        }

        return names;
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited 10 s for {what}");
            await Task.Delay(50);
        }
    }
}
