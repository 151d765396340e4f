using System.Diagnostics;
using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Tracing.Otlp;

namespace Gateway.Tests.Tracing;

/// <summary>
/// Traces through the real gateway to a test OTLP receiver on 127.0.0.1: the client's traceparent is the request span's
/// parent, each try is a span of its own with destination, policy and outcome, and the destination receives a
/// traceparent whose parent is its try. Off, no Activity is started even with a listener on the gateway's source.
/// </summary>
public class TracingEndToEndTests
{
    private const string ClientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string ClientSpanId = "00f067aa0ba902b7";
    private const string ClientTraceparent = $"00-{ClientTraceId}-{ClientSpanId}-01";

    private static string Config(IEnumerable<(string Name, string Url)> destinations, string? otlp) =>
        ConfigJson.WithLbProxy(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, destinations, resilience: new JsonObject(), activeHealth: false),
            "Tracing", otlp is null ? new JsonObject() : new JsonObject
            {
                ["OtlpEndpoint"] = otlp,
                ["ServiceName"] = "lbproxy-test",
                ["ExportDelayMilliseconds"] = 100,
            });

    private static string Hex(Google.Protobuf.ByteString bytes) => Convert.ToHexStringLower(bytes.ToByteArray());

    private static Dictionary<string, object> Attributes(Span span) => OtlpReceiver.Attributes(span.Attributes);

    private static async Task<string> GetAsync(GatewayUnderTest gateway, string? traceparent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/traced");
        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }

        using var response = await gateway.Proxy.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task TracingOn_RequestAndTrySpans_ExportedWithParentChildIds_BackendSeesTheTry()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var backend = await TraceparentBackend.StartAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config([("a", backend.Url)], receiver.Url));

        var seen = await GetAsync(gateway, ClientTraceparent);

        var spans = await receiver.WaitForAsync(s => s.Count >= 2);
        var server = Assert.Single(spans, s => s.Kind == Span.Types.SpanKind.Server);
        var @try = Assert.Single(spans, s => s.Kind == Span.Types.SpanKind.Client);
        Assert.Equal(ClientTraceId, Hex(server.TraceId));
        Assert.Equal(ClientSpanId, Hex(server.ParentSpanId));
        Assert.Equal(ClientTraceId, Hex(@try.TraceId));
        Assert.Equal(Hex(server.SpanId), Hex(@try.ParentSpanId));
        // What the destination received: same trace, parent = the try span, sampled.
        Assert.Equal($"00-{ClientTraceId}-{Hex(@try.SpanId)}-01", seen);

        var tryAttributes = Attributes(@try);
        Assert.Equal("a", tryAttributes["lbproxy.destination"]);
        Assert.Equal(LoadBalancingPolicyNames.RoundRobin, tryAttributes["lbproxy.policy"]);
        Assert.Equal("response", tryAttributes["lbproxy.outcome"]);
        Assert.Equal(200L, tryAttributes["http.response.status_code"]);
        Assert.Equal(1L, tryAttributes["lbproxy.try"]);
        Assert.Equal("127.0.0.1", tryAttributes["server.address"]);
        var serverAttributes = Attributes(server);
        Assert.Equal("GET", serverAttributes["http.request.method"]);
        Assert.Equal("/traced", serverAttributes["url.path"]);
        Assert.Equal("backends", serverAttributes["lbproxy.cluster"]);
        Assert.Equal(1L, serverAttributes["lbproxy.tries"]);
        Assert.Equal("lbproxy-test", receiver.Spans.First().Resource["service.name"]);
    }

    [Fact]
    public async Task TracingOn_FailedTryThenRetry_OneSpanPerTryWithItsOutcome()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var backend = await TraceparentBackend.StartAsync();
        // A port nothing listens on (nor can while held): connection refused, retried on the live destination.
        using var deadPort = new Benchmarks.Local.ReservedDeadPort();
        var dead = deadPort.Url;
        await using var gateway = await GatewayUnderTest.StartAsync(Config([("dead", dead), ("live", backend.Url)], receiver.Url));

        // Round-robin starts with either; within four requests one goes to dead first and is retried.
        for (var i = 0; i < 4; i++)
        {
            await GetAsync(gateway, traceparent: null);
        }

        var spans = await receiver.WaitForAsync(s => s.Count(x => x.Kind == Span.Types.SpanKind.Server) >= 4
            && s.Any(x => Attributes(x).GetValueOrDefault("lbproxy.tries") is 2L));
        var retried = spans.First(s => Attributes(s).GetValueOrDefault("lbproxy.tries") is 2L);
        var tries = spans.Where(s => s.ParentSpanId == retried.SpanId).OrderBy(s => (long)Attributes(s)["lbproxy.try"]).ToList();
        Assert.Equal(2, tries.Count);
        Assert.Equal("dead", Attributes(tries[0])["lbproxy.destination"]);
        Assert.Equal("not_sent", Attributes(tries[0])["lbproxy.outcome"]);
        Assert.Equal(Status.Types.StatusCode.Error, tries[0].Status.Code);
        Assert.Equal("live", Attributes(tries[1])["lbproxy.destination"]);
        Assert.Equal("response", Attributes(tries[1])["lbproxy.outcome"]);
        Assert.Equal(2L, Attributes(tries[1])["lbproxy.try"]);
    }

    [Fact]
    public async Task TracingOff_NoActivityStarted_TraceparentPassedThroughUntouched()
    {
        await using var backend = await TraceparentBackend.StartAsync();
        await using var off = await GatewayUnderTest.StartAsync(Config([("a", backend.Url)], otlp: null));
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var on = await GatewayUnderTest.StartAsync(Config([("a", backend.Url)], receiver.Url));

        // A listener on both gateways' sources that records everything: if the gateway without tracing started an
        // Activity anywhere on its request path, this would see it (and any listener would make it cost something).
        var started = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == off.MeterName || source.Name == on.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity => started.AddOrUpdate(activity.Source.Name, 1, (_, n) => n + 1),
        };
        ActivitySource.AddActivityListener(listener);

        Assert.Equal("-", await GetAsync(off, traceparent: null)); // nothing made up
        Assert.Equal(ClientTraceparent, await GetAsync(off, ClientTraceparent)); // the client's own, as sent
        Assert.Equal(0, started.GetValueOrDefault(off.MeterName));

        // The same listener sees the traced gateway's spans: it would have seen the other's.
        await GetAsync(on, ClientTraceparent);
        Assert.Equal(2, started.GetValueOrDefault(on.MeterName));
    }
}
