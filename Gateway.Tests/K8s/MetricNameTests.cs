using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.K8s;

/// <summary>
/// Every metric the HPA, the KEDA ScaledObject and the PrometheusRule read exists: it is either one of the
/// rules' own recorded series, a kube-state-metrics series (from the cluster, not from LbProxy), or it appears in
/// a real scrape of a real ModelWorker's /metrics or the real gateway's admin /metrics after real requests.
/// </summary>
public sealed class MetricNameTests
{
    /// <summary>Series kube-state-metrics exports about the HPA; ScalingLimit reads them.</summary>
    private static readonly string[] s_kubeStateMetrics =
        ["kube_horizontalpodautoscaler_status_current_replicas", "kube_horizontalpodautoscaler_spec_max_replicas"];

    [Fact]
    public void PromQlNames_Expression_FindsMetricsNotFunctionsLabelsOrKeywords()
    {
        var names = PromQlNames.Of("""(histogram_quantile(0.95, sum by (le) (rate(a_bucket{service="x", le=~"1|2"}[5m]))) >= 0) or vector(0) / on(pod) b:rec > 1e3""");

        Assert.Equal(["a_bucket", "b:rec"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Signals_HpaKedaAndRules_EveryMetricIsScrapedOrRecorded()
    {
        using var folder = new TempFolder();
        var signals = new List<Signals>();
        foreach (var overlay in new[] { "cpu", "keda" })
        {
            var sub = Directory.CreateDirectory(Path.Combine(folder.Path, overlay)).FullName;
            await Overlays.ExtractAsync(await Overlays.RenderAsync(overlay, sub), sub);
            signals.Add(JsonSerializer.Deserialize<Signals>(await File.ReadAllTextAsync(Path.Combine(sub, "signals.json")), s_json)!);
        }

        var records = signals.SelectMany(s => s.Records).ToHashSet(StringComparer.Ordinal);
        var used = signals.SelectMany(s => s.HpaPodsMetrics)
            .Concat(signals.SelectMany(s => s.KedaQueries.Concat(s.Exprs)).SelectMany(PromQlNames.Of))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("ml_queue_size", used);
        Assert.Contains("ml_requests_per_second", used); // the HPA's requests/s Pods metric, a recorded series
        Assert.Contains("lbproxy_requests_total", used);

        var scraped = await ScrapeRealWorkerAndGatewayAsync();

        var missing = used.Where(n => !records.Contains(n) && !s_kubeStateMetrics.Contains(n) && !scraped.Contains(n)).ToList();
        Assert.True(missing.Count == 0,
            $"not in any scrape nor recorded: {string.Join(", ", missing)}\nscraped: {string.Join(", ", scraped.Order(StringComparer.Ordinal))}");
    }

    /// <summary>A real worker process behind the real gateway, a few real predictions, then both /metrics pages.</summary>
    private static async Task<HashSet<string>> ScrapeRealWorkerAndGatewayAsync()
    {
        using var worker = ModelWorkerProcess.Start();
        var workerUrl = await worker.WaitUntilReadyAsync();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "predict": { "ClusterId": "models", "Match": { "Path": "/{**catch-all}" } } },
                "Clusters": { "models": { "Destinations": { "w1": { "Address": "{{workerUrl}}" } } } }
              }
            }
            """);
        for (var i = 0; i < 5; i++)
        {
            using var response = await gateway.Proxy.PostAsJsonAsync("/predict", new { features = new[] { 5.1, 3.5, 1.4, 0.2 } });
            Assert.True(response.IsSuccessStatusCode, $"prediction {i} failed: {(int)response.StatusCode}");
        }

        using var workerClient = new HttpClient { BaseAddress = workerUrl };
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in new[] { await workerClient.GetStringAsync("/metrics"), await gateway.Admin.GetStringAsync("/metrics") })
        {
            foreach (var line in text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
            {
                names.Add(line[..line.IndexOfAny(['{', ' '])]);
            }
        }

        return names;
    }

    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    private sealed record Signals(string[] HpaPodsMetrics, string[] KedaQueries, string[] Records, string[] Exprs);
}
