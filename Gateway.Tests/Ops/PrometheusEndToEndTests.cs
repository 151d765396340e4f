using System.Text.Json;
using Benchmarks.Local;
using System.Text.RegularExpressions;
using Gateway.Tests.Fleet;
using Xunit.Abstractions;

namespace Gateway.Tests.Ops;

/// <summary>
/// Debian's real Prometheus on 127.0.0.1 scraping the embedded default (the gateway's admin port, and the workers
/// found through its /sd/workers) with the repo's own k8s/prometheus files: the gateway's and the workers' series
/// arrive, p95 comes out of histogram_quantile, the recording rules evaluate, and every query of the Grafana
/// dashboard (k8s/grafana/lbproxy-dashboard.json) names metrics the scrape returned and answers with data.
/// </summary>
[Collection(FleetProcesses.Name)]
public partial class PrometheusEndToEndTests(ITestOutputHelper output)
{
    private const string Window = "30s";
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    [Fact]
    public async Task Prometheus_ScrapesGatewayAndWorkers_SeriesRulesAndDashboardAnswer()
    {
        var prometheus = PeerProgram.Require("prometheus", "prometheus");
        var promtool = PeerProgram.Require("promtool", "prometheus");
        var configFile = OpsArtifacts.RepoFile("k8s/prometheus/prometheus.yml");
        var rulesFile = OpsArtifacts.RepoFile("k8s/prometheus/lbproxy-rules.yml");
        await CheckWithPromtoolAsync(promtool, "rules", rulesFile);

        await using var gateway = await FleetGateway.StartAsync(workers: 3);
        gateway.StartTraffic(clients: 2, pause: TimeSpan.FromMilliseconds(20));
        var folder = Directory.CreateTempSubdirectory("lbproxy-prometheus-").FullName;
        try
        {
            // The repo's config, pointed at this gateway's admin port and sped up to 1 s for the test.
            var admin = new Uri(gateway.Host.AdminUrls[0]).Authority;
            var config = (await File.ReadAllTextAsync(configFile)).Replace("127.0.0.1:9901", admin, StringComparison.Ordinal)
                .Replace("scrape_interval: 5s", "scrape_interval: 1s", StringComparison.Ordinal)
                .Replace("evaluation_interval: 5s", "evaluation_interval: 1s", StringComparison.Ordinal)
                .Replace("refresh_interval: 5s", "refresh_interval: 1s", StringComparison.Ordinal);
            Assert.Contains(admin, config);
            await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), config);
            File.Copy(rulesFile, Path.Combine(folder, "lbproxy-rules.yml"));
            await CheckWithPromtoolAsync(promtool, "config", Path.Combine(folder, "prometheus.yml"));

            var (server, http) = await StartPrometheusAsync(prometheus, folder);
            using var serverProcess = server;
            using var httpClient = http;
            var api = new PrometheusApi(http);
            try
            {
                // Two scrapes of the gateway and of each of the three workers, every one of them up.
                await FleetGateway.WaitUntilAsync(async () =>
                    (await api.QueryAsync("count_over_time(up[1m]) >= 2")).Count == 4 && (await api.QueryAsync("up == 1")).Count == 4,
                    TimeSpan.FromSeconds(30), "two successful scrapes of the gateway and the 3 workers");
                var targets = await api.TargetsAsync();
                output.WriteLine(string.Join("\n", targets.EnumerateArray().Select(t =>
                    $"{t.GetProperty("labels").GetProperty("job").GetString()} {t.GetProperty("scrapeUrl").GetString()} {t.GetProperty("health").GetString()}")));

                await AssertGatewaySeriesAsync(api);
                await AssertWorkerSeriesAsync(api, gateway);
                await AssertRecordingRulesAsync(api);
                await AssertDashboardAsync(api);
            }
            finally
            {
                var answers = Path.Combine(OpsArtifacts.Folder, "prometheus-answers.json");
                await File.WriteAllTextAsync(answers, JsonSerializer.Serialize(api.Answers, s_indented));
                output.WriteLine($"answers: {answers}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Prometheus on a port it is told (it cannot report one it picked): started again on a fresh port when another
    /// process took that one first (Prometheus exits with "bind: address already in use").
    /// </summary>
    private static Task<(PeerProgram Server, HttpClient Http)> StartPrometheusAsync(string prometheus, string folder) =>
        LocalProcesses.OnFreshPortsAsync(1, async ports =>
        {
            var server = PeerProgram.Start(prometheus,
            [
                $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{ports[0]}", "--log.level=warn",
            ], folder);
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[0]}"), Timeout = TimeSpan.FromSeconds(10) };
            try
            {
                await FleetGateway.WaitUntilAsync(async () =>
                {
                    if (server.HasExited)
                    {
                        var code = await server.WaitForExitAsync(TimeSpan.FromSeconds(10)); // and all its output read
                        var message = $"prometheus exited ({code}): {server.Output}";
                        throw LocalProcesses.SaysAddressInUse(server.Output) ? new PortInUseException(message) : new InvalidOperationException(message);
                    }

                    try
                    {
                        using var ready = await http.GetAsync("/-/ready");
                        return ready.IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(30), "prometheus /-/ready");
                return (server, http);
            }
            catch
            {
                server.Dispose();
                http.Dispose();
                throw;
            }
        });

    private static async Task AssertGatewaySeriesAsync(PrometheusApi api)
    {
        var rates = await api.QueryAsync($"sum by (destination) (rate(lbproxy_requests_total{{job=\"lbproxy-gateway\"}}[{Window}]))");
        Assert.Equal(3, rates.Count);
        Assert.All(rates, r => Assert.True(r.Value > 0, $"{r.Labels["destination"]}: no requests/s"));
        var p95 = await api.QueryAsync(
            $"histogram_quantile(0.95, sum by (le, destination) (rate(lbproxy_request_duration_seconds_bucket[{Window}])))");
        Assert.Equal(3, p95.Count);
        Assert.All(p95, r => Assert.True(double.IsFinite(r.Value) && r.Value > 0, $"{r.Labels["destination"]}: p95 {r.Value}"));
        Assert.Equal(3, (await api.QueryAsync("lbproxy_destination_available == 1")).Count);
        Assert.Equal(3, (await api.QueryAsync("lbproxy_destination_circuit_state == 0")).Count);
        Assert.Equal(3, (await api.QueryAsync("lbproxy_fleet_replicas{state=\"desired\"}")).Single().Value);
    }

    private static async Task AssertWorkerSeriesAsync(PrometheusApi api, FleetGateway gateway)
    {
        var success = await api.QueryAsync("ml_requests_total{job=\"lbproxy-workers\",status=\"success\"}");
        Assert.Equal(gateway.Fleet.Workers.Select(w => w.Id).Order(), success.Select(s => s.Labels["worker"]).Order());
        Assert.Equal(3, (await api.QueryAsync("ml_queue_size")).Count);
        Assert.Equal(3, (await api.QueryAsync("ml_active_requests")).Count);
        Assert.Equal(3, (await api.QueryAsync("ml_batch_size_count > 0")).Count);
        var p95 = await api.QueryAsync($"histogram_quantile(0.95, sum by (le) (rate(ml_request_latency_seconds_bucket[{Window}])))");
        Assert.True(double.IsFinite(p95.Single().Value) && p95.Single().Value > 0, $"worker p95 {p95.Single().Value}");
    }

    private static async Task AssertRecordingRulesAsync(PrometheusApi api)
    {
        foreach (var (record, series) in new[]
        {
            ("lbproxy:requests:rate1m", 3), ("lbproxy:errors:ratio_rate1m", 3), ("lbproxy:request_duration_seconds:p95_1m", 3),
            ("lbproxy:destinations_available:sum", 1), ("ml_requests_per_second", 3), ("ml_avg_queue_size", 1), ("ml_p95_latency", 1),
        })
        {
            await FleetGateway.WaitUntilAsync(async () => (await api.QueryAsync(record)).Count == series, TimeSpan.FromSeconds(15),
                $"the recording rule {record} ({series} series)");
        }
    }

    /// <summary>Every dashboard query: each metric it names is one the scrape returned, and it answers with data.</summary>
    private async Task AssertDashboardAsync(PrometheusApi api)
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(OpsArtifacts.RepoFile("k8s/grafana/lbproxy-dashboard.json")));
        var names = await api.MetricNamesAsync();
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => (Panel: p.GetProperty("title").GetString()!,
                Expr: t.GetProperty("expr").GetString()!)))
            .ToList();
        Assert.True(queries.Count >= 10, $"the dashboard has only {queries.Count} queries");
        foreach (var (panel, expr) in queries)
        {
            var metrics = MetricName().Matches(LabelMatchers().Replace(expr, "")).Select(m => m.Value).Distinct().ToList();
            Assert.True(metrics.Count > 0, $"panel '{panel}': `{expr}` names no lbproxy_/ml_ metric");
            Assert.All(metrics, m => Assert.True(names.Contains(m), $"panel '{panel}': {m} is not among the scraped metrics"));
            var result = await api.QueryAsync(expr.Replace("$__rate_interval", Window, StringComparison.Ordinal));
            Assert.True(result.Count > 0, $"panel '{panel}': `{expr}` returned no data");
            output.WriteLine($"{panel}: {result.Count} series, e.g. {result[0].Value:0.####}");
        }
    }

    private static async Task CheckWithPromtoolAsync(string promtool, string what, string file)
    {
        using var check = PeerProgram.Start(promtool, ["check", what, file]);
        Assert.True(await check.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, $"promtool check {what} {file}: {check.Output}");
    }

    [GeneratedRegex(@"\b(?:lbproxy|ml)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();
}
