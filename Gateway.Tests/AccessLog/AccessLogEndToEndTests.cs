using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.AccessLog;

/// <summary>The access log through the real gateway and real Kestrel backends: every line read back and parsed.</summary>
public sealed partial class AccessLogEndToEndTests
{
    [GeneratedRegex("""^(?<client>\S+) - (?<user>\S+) \[(?<time>[^\]]+)\] "(?<request>[^"]*)" (?<status>\d{3}) (?<bytes>\d+) "(?<referer>[^"]*)" "(?<agent>[^"]*)"$""")]
    private static partial Regex CombinedLine();

    [Fact]
    public async Task JsonLog_RetriedAndPlainRequests_LinesParseBackWithUpstreamFields()
    {
        await using var backends = await Backends.StartAsync(2);
        backends["a"].StatusCode = 503; // every try at a is retried on b
        var folder = Directory.CreateTempSubdirectory("lbproxy-accesslog-").FullName;
        var path = Path.Combine(folder, "access.json");
        var config = AccessLogConfigs.With(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All),
            new Dictionary<string, (string, string)> { ["api"] = (path, "Json") }, listeners: new Dictionary<string, string> { ["*"] = "api" });
        await using var gateway = await GatewayUnderTest.StartAsync(config);

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/first?x=1"))
        {
            request.Headers.Add("X-Request-Id", "req-42");
            request.Headers.UserAgent.ParseAdd("probe/1.0");
            using var response = await gateway.Proxy.SendAsync(request);
            Assert.Equal("b", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal("b", await gateway.Proxy.GetStringAsync("/second")); // round-robin starts at b: one try

        var lines = await AccessLogConfigs.LinesAsync(path, 2);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        using var second = JsonDocument.Parse(lines[1]);
        var firstIsRetried = first.RootElement.GetProperty("path").GetString() == "/first";
        var retried = firstIsRetried ? first.RootElement : second.RootElement;
        var plain = firstIsRetried ? second.RootElement : first.RootElement;

        Assert.Equal("127.0.0.1", retried.GetProperty("client").GetString());
        Assert.Equal("GET", retried.GetProperty("method").GetString());
        Assert.Equal("x=1", retried.GetProperty("query").GetString());
        Assert.Equal(200, retried.GetProperty("status").GetInt32());
        Assert.Equal(1, retried.GetProperty("bytes").GetInt64()); // "b"
        Assert.Equal(2, retried.GetProperty("tries").GetInt32());
        Assert.Equal(backends["b"].Url, retried.GetProperty("upstream_addr").GetString()!.TrimEnd('/'));
        Assert.Equal(200, retried.GetProperty("upstream_status").GetInt32());
        Assert.True(retried.GetProperty("upstream_time").GetDouble() >= 0);
        Assert.True(retried.GetProperty("request_time").GetDouble() >= retried.GetProperty("upstream_time").GetDouble());
        Assert.Equal("RoundRobin", retried.GetProperty("policy").GetString());
        Assert.Equal("backends", retried.GetProperty("cluster").GetString());
        Assert.Equal("all", retried.GetProperty("route").GetString());
        Assert.Equal("req-42", retried.GetProperty("request_id").GetString());
        Assert.Equal("probe/1.0", retried.GetProperty("user_agent").GetString());
        var time = DateTimeOffset.Parse(retried.GetProperty("time").GetString()!, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - time).TotalMinutes) < 5);

        Assert.Equal(1, plain.GetProperty("tries").GetInt32());
        Assert.False(string.IsNullOrEmpty(plain.GetProperty("request_id").GetString())); // the server's own id
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task CombinedLog_ListenerAndRouteLogs_RouteWinsOffSilencesLinesParseAsNginxCombined()
    {
        await using var backends = await Backends.StartAsync(1);
        var folder = Directory.CreateTempSubdirectory("lbproxy-accesslog-").FullName;
        var main = Path.Combine(folder, "main.log");
        var api = Path.Combine(folder, "api.log");
        var config = AccessLogConfigs.With(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All),
            new Dictionary<string, (string, string)> { ["main"] = ("main.log", "Combined"), ["api"] = (api, "Combined") },
            listeners: new Dictionary<string, string> { ["*"] = "main" },
            routeLogs: new Dictionary<string, string?> { ["/api"] = "api", ["/quiet"] = "off" });
        await using var gateway = await GatewayUnderTest.StartAsync(config);
        // The relative path is the config file's folder's.
        var mainPath = Path.Combine(gateway.Folder, "main.log");

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/page?q=%20a"))
        {
            request.Headers.Referrer = new Uri("http://example.test/from");
            request.Headers.TryAddWithoutValidation("User-Agent", "agent \"quoted\"");
            using var response = await gateway.Proxy.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }

        (await gateway.Proxy.GetAsync("/api/items")).Dispose();
        (await gateway.Proxy.GetAsync("/quiet/x")).Dispose();
        (await gateway.Proxy.GetAsync("/page2")).Dispose();

        var mainLines = await AccessLogConfigs.LinesAsync(mainPath, 2);
        var apiLines = await AccessLogConfigs.LinesAsync(api, 1);
        Assert.Equal(2, mainLines.Length);
        Assert.Single(apiLines);
        Assert.DoesNotContain(mainLines.Concat(apiLines), l => l.Contains("/quiet", StringComparison.Ordinal));

        var page = CombinedLine().Match(mainLines.Single(l => l.Contains("/page?", StringComparison.Ordinal)));
        Assert.True(page.Success, mainLines[0]);
        Assert.Equal("127.0.0.1", page.Groups["client"].Value);
        Assert.Equal("-", page.Groups["user"].Value);
        Assert.Equal("GET /page?q=%20a HTTP/1.1", page.Groups["request"].Value);
        Assert.Equal("200", page.Groups["status"].Value);
        Assert.Equal("1", page.Groups["bytes"].Value);
        Assert.Equal("http://example.test/from", page.Groups["referer"].Value);
        Assert.Equal("agent \\x22quoted\\x22", page.Groups["agent"].Value); // nginx's escaping of '"'
        var time = DateTimeOffset.ParseExact(page.Groups["time"].Value, "dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - time).TotalMinutes) < 5);

        var item = CombinedLine().Match(apiLines[0]);
        Assert.True(item.Success, apiLines[0]);
        Assert.Equal("GET /api/items HTTP/1.1", item.Groups["request"].Value);
        Assert.Equal("-", item.Groups["referer"].Value);
        Assert.False(File.Exists(main)); // main.log is the config folder's, not the test's
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task QueueFull_WriterBlockedOnAFifo_LinesDroppedAndCountedRequestsAllServed()
    {
        await using var backends = await Backends.StartAsync(1);
        var folder = Directory.CreateTempSubdirectory("lbproxy-accesslog-").FullName;
        var fifo = Path.Combine(folder, "blocked.log");
        // A FIFO nobody reads: the writer thread blocks opening it, as it would on a stuck disk.
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var config = AccessLogConfigs.With(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All),
            new Dictionary<string, (string, string)> { ["main"] = (fifo, "Json") }, listeners: new Dictionary<string, string> { ["*"] = "main" },
            queueLines: 3);
        await using var gateway = await GatewayUnderTest.StartAsync(config);
        const int Requests = 12;
        for (var i = 0; i < Requests; i++)
        {
            using var response = await gateway.Proxy.GetAsync($"/r{i}");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode); // never the request
        }

        var writer = (Gateway.AccessLog.AccessLogWriter)gateway.Host.Services.GetService(typeof(Gateway.AccessLog.AccessLogWriter))!;
        // A line is queued when its response has completed, which can be just after the client saw the response:
        // wait (bounded) until every line is accounted for, at most one line in the writer's hands + 3 queued.
        using (var settle = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (writer.Dropped < Requests - 1 - 3 && !settle.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }
        }

        var dropped = writer.Dropped;
        Assert.True(dropped >= Requests - 1 - 3, $"dropped {dropped}");

        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        var exported = Regex.Match(metrics, @"lbproxy_access_log_dropped_total\{[^}]*reason=""queue_full""[^}]*\} (\d+)");
        Assert.True(exported.Success, metrics);
        Assert.Equal(dropped, long.Parse(exported.Groups[1].Value, CultureInfo.InvariantCulture));

        // A reader appears: the lines that were queued come out, and nothing else.
        using var reader = new StreamReader(new FileStream(fifo, FileMode.Open, FileAccess.Read));
        var received = new List<string>();
        var expected = Requests - dropped;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Count < expected && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            received.Add(line);
        }

        Assert.Equal(expected, received.Count);
        Assert.All(received, l => Assert.Equal(200, JsonDocument.Parse(l).RootElement.GetProperty("status").GetInt32()));
        Assert.Equal("/r0", JsonDocument.Parse(received[0]).RootElement.GetProperty("path").GetString());
        Directory.Delete(folder, recursive: true);
    }
}
