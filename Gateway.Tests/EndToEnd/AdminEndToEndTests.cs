using System.Net;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

public class AdminEndToEndTests
{
    [Fact]
    public async Task Status_AfterTraffic_ShowsPolicyAndPerDestinationNumbers()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Weighted, backends.All,
            new Dictionary<string, int> { ["a"] = 3 }));
        await gateway.GetSequentialAsync(8);

        var cluster = (await gateway.StatusAsync()).GetProperty("clusters")[0];
        Assert.Equal("backends", cluster.GetProperty("id").GetString());
        Assert.Equal("Weighted", cluster.GetProperty("policy").GetString());
        var destinations = cluster.GetProperty("destinations").EnumerateArray().ToDictionary(d => d.GetProperty("id").GetString()!);
        Assert.Equal(3, destinations["a"].GetProperty("weight").GetInt32());
        Assert.Equal(6, destinations["a"].GetProperty("requests").GetInt64());
        Assert.Equal(2, destinations["b"].GetProperty("requests").GetInt64());
        Assert.Equal(backends["a"].Url, destinations["a"].GetProperty("address").GetString());
        Assert.Equal(0, destinations["a"].GetProperty("inFlight").GetInt64());
        Assert.True(destinations["a"].GetProperty("latencyEstimateMs").GetDouble() > 0);
        Assert.True(destinations["a"].GetProperty("available").GetBoolean());
        Assert.Equal("Unknown", destinations["a"].GetProperty("health").GetProperty("active").GetString());
    }

    [Fact]
    public async Task Metrics_AfterTraffic_ExportsRequestsRetriesLatencyAndInFlight()
    {
        await using var backends = await Backends.StartAsync(2);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));
        await gateway.GetSequentialAsync(6);
        backends["b"].StatusCode = 503;
        Assert.Equal(["a", "a"], await gateway.GetSequentialAsync(2));

        var text = await gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains($"lbproxy_requests_total{{otel_scope_name=\"{gateway.MeterName}\",cluster=\"backends\",destination=\"a\",status_class=\"2xx\"}} 5", text);
        Assert.Contains($"lbproxy_requests_total{{otel_scope_name=\"{gateway.MeterName}\",cluster=\"backends\",destination=\"b\",status_class=\"5xx\"}} 1", text);
        // b's 503 was held back and retried on a: the client saw two 200s.
        Assert.Contains($"lbproxy_retries_total{{otel_scope_name=\"{gateway.MeterName}\",cluster=\"backends\",reason=\"http_503\"}} 1", text);
        Assert.Contains("lbproxy_request_duration_seconds_bucket{", text);
        Assert.Contains($"lbproxy_destination_inflight{{otel_scope_name=\"{gateway.MeterName}\",cluster=\"backends\",destination=\"a\"}} 0", text);
        Assert.Contains("lbproxy_destination_latency_estimate_seconds{", text);
        // .NET's own meter: the collector's pauses, which a managed proxy adds to its latency tail.
        Assert.Matches("(?m)^dotnet_gc_collections_total\\{otel_scope_name=\"System.Runtime\",gc_heap_generation=\"gen0\"\\} \\d+$", text);
        Assert.Matches("(?m)^dotnet_gc_pause_time_seconds_total\\{otel_scope_name=\"System.Runtime\"\\} [0-9.e-]+$", text);
    }

    [Fact]
    public async Task Listeners_ProxyAndAdminTrafficNeverCross()
    {
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));

        // /status and /metrics on the proxy port are ordinary paths: the backend answers them.
        Assert.Equal("a", await gateway.Proxy.GetStringAsync("/status"));
        Assert.Equal("a", await gateway.Proxy.GetStringAsync("/metrics"));
        Assert.Equal(2, backends["a"].Hits);

        // Anything else on the admin port is not proxied.
        using var response = await gateway.Admin.GetAsync("/predict");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(2, backends["a"].Hits);
    }
}
