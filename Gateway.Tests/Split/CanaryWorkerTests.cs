using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Split;

/// <summary>
/// The canary analysis between two real ModelWorker processes through the real gateway: the canary is a worker whose
/// batches wait 150 ms for company (the seeds' fixed window), a new version that answers correctly but slowly.
/// </summary>
public class CanaryWorkerTests
{
    [Fact]
    public async Task Canary_SlowWorker_RolledBackOnP95AndStableServesEverything()
    {
        using var stable = ModelWorkerProcess.Start(0, "--max-wait-ms", "2");
        using var canary = ModelWorkerProcess.Start(0, "--batching", "fixed-window", "--max-wait-ms", "150");
        var urls = await Task.WhenAll(stable.WaitUntilReadyAsync(), canary.WaitUntilReadyAsync());
        using (var direct = new HttpClient())
        {
            // Warm both (JIT, ONNX Runtime's first runs): the canary must be judged on its batching wait, not on a cold start.
            foreach (var url in urls)
            {
                for (var i = 0; i < 5; i++)
                {
                    using var response = await direct.PostAsJsonAsync(new Uri(url, "/predict"), new { features = new[] { 5.1, 3.5, 1.4, 0.2 } });
                    Assert.True(response.IsSuccessStatusCode);
                }
            }
        }

        var split = new JsonObject
        {
            ["Weights"] = SplitConfigs.Weights(("stable", 100), ("canary", 0)),
            ["Analysis"] = new JsonObject
            {
                ["Stable"] = "stable",
                ["Canary"] = "canary",
                ["IntervalSeconds"] = 1,
                ["MinRequests"] = 5,
                ["P95ToleranceSeconds"] = 0.05, // 2 shared cores: a healthy worker's p95 can jump by tens of ms, not by 150
            },
        };
        await using var gateway = await GatewayUnderTest.StartAsync(SplitConfigs.Write(
            new Dictionary<string, string> { ["stable"] = urls[0].ToString(), ["canary"] = urls[1].ToString() }, split));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answered = 0;
        var load = Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await gateway.Proxy.PostAsJsonAsync("/predict", new { features = new[] { 5.1, 3.5, 1.4, 0.2 } }, stop.Token);
                    Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
                    Interlocked.Increment(ref answered);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }).ToList();

        JsonElement analysis;
        try
        {
            while (true)
            {
                stop.Token.ThrowIfCancellationRequested();
                using var doc = JsonDocument.Parse(await gateway.Admin.GetStringAsync("/api/routes/all/split", stop.Token));
                analysis = doc.RootElement.GetProperty("analysis").Clone();
                if (analysis.ValueKind == JsonValueKind.Object && analysis.GetProperty("phase").GetString() != "running")
                {
                    break;
                }

                await Task.Delay(100, stop.Token);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        Assert.Equal("rolled-back", analysis.GetProperty("phase").GetString());
        var last = analysis.GetProperty("decisions").EnumerateArray().Last();
        Assert.Contains("p95", last.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(last.GetProperty("canary").GetProperty("p95Ms").GetDouble() >= 100, last.ToString());
        Assert.True(answered > 0);

        var status = await gateway.StatusAsync();
        var before = Requests(status, "canary");
        for (var i = 0; i < 20; i++)
        {
            using var response = await gateway.Proxy.PostAsJsonAsync("/predict", new { features = new[] { 5.1, 3.5, 1.4, 0.2 } });
            Assert.True(response.IsSuccessStatusCode);
        }

        Assert.Equal(before, Requests(await gateway.StatusAsync(), "canary"));
    }

    private static long Requests(JsonElement status, string cluster) => status.GetProperty("clusters").EnumerateArray()
        .Single(c => c.GetProperty("id").GetString() == cluster).GetProperty("destinations").EnumerateArray().Sum(d => d.GetProperty("requests").GetInt64());
}
