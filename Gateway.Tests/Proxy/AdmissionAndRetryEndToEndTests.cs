using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Proxy;

/// <summary>
/// Overload protection and the retry rules the fault scenarios do not reach, through the real gateway and real
/// Kestrel backends: the per-destination cap with its queue, POST after it was sent, a response already started,
/// the total retry time, and what /status says about them.
/// </summary>
public class AdmissionAndRetryEndToEndTests
{
    private static string Config(IEnumerable<TestBackend> backends, Action<JsonObject> resilience, bool retryPost = true)
    {
        var options = ResilienceConfig.FastResilience();
        resilience(options);
        var root = JsonNode.Parse(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, backends.Select(b => (b.Name, b.Url)), options, activeHealth: false))!;
        if (!retryPost)
        {
            root["ReverseProxy"]!["Routes"]!["all"]!.AsObject().Remove("Metadata");
        }

        return root.ToJsonString();
    }

    private static string[] FailedTryLines(List<string> log)
    {
        lock (log)
        {
            return log.Where(l => l.Contains("Gateway.Proxy.ForwardingMiddleware[200]", StringComparison.Ordinal)).ToArray();
        }
    }

    /// <summary>No line came with an exception (a stack trace on the console), and YARP did not log the try again.</summary>
    private static void AssertNoStackTraces(List<string> log)
    {
        lock (log)
        {
            Assert.DoesNotContain(log, l => l.Contains("(exception:", StringComparison.Ordinal));
            Assert.DoesNotContain(log, l => l.Contains("Yarp.ReverseProxy.Forwarder.HttpForwarder", StringComparison.Ordinal));
        }
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Admission_AllAtCapAndQueueFull_Answers503WithRetryAfterAtOnce()
    {
        await using var backends = await Backends.StartAsync(1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backends["a"].Gate = gate;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r =>
        {
            r["MaxConnectionsPerDestination"] = 1;
            r["QueueSize"] = 1;
            r["QueueTimeoutSeconds"] = 10;
            r["Retry"]!["TryTimeoutSeconds"] = 30; // held at the backend on purpose: no try timeout meanwhile
        }));

        var held = gateway.Proxy.GetAsync("/");      // at the backend
        while (backends["a"].Hits < 1)
        {
            await Task.Delay(10);
        }

        var queued = gateway.Proxy.GetAsync("/");    // waits in the gateway's queue
        await Task.Delay(200);
        var clock = Stopwatch.StartNew();
        using var rejected = await gateway.Proxy.GetAsync("/");
        clock.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, rejected.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"rejection took {clock.Elapsed.TotalMilliseconds} ms");
        Assert.Equal("1", rejected.Headers.GetValues("Retry-After").Single());
        Assert.Contains("queue (1) is full", (await ProblemAsync(rejected)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, backends["a"].Hits); // the queued request has not reached the backend

        gate.SetResult();
        using (var first = await held)
        using (var second = await queued)
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        var cluster = (await gateway.StatusAsync()).GetProperty("clusters")[0];
        Assert.Equal(1, cluster.GetProperty("rejections").GetProperty("queue_full").GetInt64());
    }

    [Fact]
    public async Task Admission_QueueTimeout_Answers503AfterWaiting()
    {
        await using var backends = await Backends.StartAsync(1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backends["a"].Gate = gate;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r =>
        {
            r["MaxConnectionsPerDestination"] = 1;
            r["QueueTimeoutSeconds"] = 0.3;
            r["Retry"]!["TryTimeoutSeconds"] = 30;
        }));
        var held = gateway.Proxy.GetAsync("/");
        while (backends["a"].Hits < 1)
        {
            await Task.Delay(10);
        }

        var clock = Stopwatch.StartNew();
        using var timedOut = await gateway.Proxy.GetAsync("/");
        clock.Stop();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, timedOut.StatusCode);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.25, 5);
        Assert.Contains("waited 0.3 s", (await ProblemAsync(timedOut)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        gate.SetResult();
        (await held).Dispose();
    }

    [Fact]
    public async Task Admission_AffinityAndHealthChanges_NeverMoreThanTheCapAtAnyDestination()
    {
        await using var backends = await Backends.StartAsync(3);
        var root = JsonNode.Parse(Config(backends.All, r =>
        {
            r["MaxConnectionsPerDestination"] = 2;
            r["QueueTimeoutSeconds"] = 20;
            r["Retry"]!["TryTimeoutSeconds"] = 30; // held at the backends on purpose: no try timeout meanwhile
        }))!;
        root["ReverseProxy"]!["Clusters"]!["backends"]!["SessionAffinity"] = new JsonObject
        {
            ["Enabled"] = true,
            ["Policy"] = "HashCookie",
            ["AffinityKeyName"] = "lb",
        };
        await using var gateway = await GatewayUnderTest.StartAsync(root.ToJsonString());

        // The affinity cookie of the destination the first request went to; cookies only where the test puts them.
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = gateway.Proxy.BaseAddress };
        using var first = await client.GetAsync("/");
        var cookie = first.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var pinned = await first.Content.ReadAsStringAsync();
        foreach (var backend in backends.All)
        {
            backend.ResetHits();
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var backend in backends.All)
        {
            backend.Gate = gate;
        }

        var lookup = gateway.Host.Services.GetRequiredService<Yarp.ReverseProxy.IProxyStateLookup>();
        Assert.True(lookup.TryGetCluster("backends", out var cluster));
        var health = gateway.Host.Services.GetRequiredService<Yarp.ReverseProxy.Health.IDestinationHealthUpdater>();
        var sent = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 18; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/");
            if (i % 2 == 0)
            {
                request.Headers.Add("Cookie", cookie); // narrowed to one destination by affinity
            }

            sent.Add(client.SendAsync(request));
            if (i == 6)
            {
                // A destination goes out of rotation for a moment and comes back, with requests still held there.
                var c = cluster.Destinations.Values.Single(d => d.DestinationId == "c");
                health.SetPassive(cluster, c, Yarp.ReverseProxy.Model.DestinationHealth.Unhealthy, TimeSpan.FromMilliseconds(300));
            }

            await Task.Delay(30);
        }

        for (var i = 0; i < 100 && backends.All.Sum(b => b.Hits) < 6; i++)
        {
            await Task.Delay(20);
        }

        await Task.Delay(300);
        Assert.All(backends.All, b => Assert.True(b.MaxConcurrent <= 2, $"{b.Name} held {b.MaxConcurrent} at once (cap 2); pinned to {pinned}"));
        gate.SetResult();
        foreach (var response in await Task.WhenAll(sent))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.All(backends.All, b => Assert.True(b.MaxConcurrent <= 2, $"{b.Name} held {b.MaxConcurrent} at once (cap 2)"));
        Assert.Equal(18, backends.All.Sum(b => b.Hits));
    }

    [Fact]
    public async Task Admission_DestinationAtCap_OthersTakeTheTraffic()
    {
        await using var backends = await Backends.StartAsync(2);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backends["a"].Gate = gate;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r =>
        {
            r["MaxConnectionsPerDestination"] = 1;
            r["Retry"]!["TryTimeoutSeconds"] = 30;
        }));
        var held = gateway.Proxy.GetAsync("/"); // round-robin starts at a, which holds it
        while (backends["a"].Hits < 1)
        {
            await Task.Delay(10);
        }

        Assert.Equal(Enumerable.Repeat("b", 6), await gateway.GetSequentialAsync(6));
        gate.SetResult();
        (await held).Dispose();
    }

    [Fact]
    public async Task Retry_PostAlreadySent_NotRetriedUnlessTheRouteAllows()
    {
        await using var backends = await Backends.StartAsync(2);
        backends["a"].StatusCode = 503;
        await using (var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, _ => { }, retryPost: false)))
        {
            using var post = await gateway.Proxy.PostAsync("/", new StringContent("{}"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode); // a's answer: POST was sent, not retried
            Assert.Equal((1, 0), (backends["a"].Hits, backends["b"].Hits));

            Assert.Equal("b", (await gateway.GetSequentialAsync(1))[0]); // GET is idempotent: round-robin gave a, retried on b
        }

        backends["a"].ResetHits();
        backends["b"].ResetHits();
        await using (var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, _ => { }, retryPost: true)))
        {
            using var post = await gateway.Proxy.PostAsync("/", new StringContent("{\"features\":[1,2,3,4]}"));
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            Assert.Equal("b", await post.Content.ReadAsStringAsync());
            Assert.Equal((1, 1), (backends["a"].Hits, backends["b"].Hits)); // the body was sent again, to b
        }
    }

    [Theory]
    [InlineData(404, "http_404")]
    [InlineData(403, "http_403")]
    public async Task Retry_StatusNamedInConditions_RetriedElsewhereOnlyWhenNamed(int status, string condition)
    {
        await using var backends = await Backends.StartAsync(2);
        backends["a"].StatusCode = status;
        await using (var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r => { })))
        {
            using var response = await gateway.Proxy.GetAsync("/"); // round-robin starts at a
            Assert.Equal(status, (int)response.StatusCode); // not named: a's own answer
        }

        backends["a"].ResetHits();
        await using (var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r =>
            r["Retry"]!["Conditions"] = new JsonArray("error", "timeout", condition))))
        {
            Assert.Equal(["b"], await gateway.GetSequentialAsync(1)); // nginx proxy_next_upstream http_403 / http_404
            Assert.Equal(1, backends["a"].Hits);
        }
    }

    [Fact]
    public async Task Retry_BodyWithinTheBufferLimit_SentAgainWhole()
    {
        await using var backends = await Backends.StartAsync(2);
        backends["a"].StatusCode = 503;
        backends["b"].EchoBody = true;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r => r["Retry"]!["BufferBodyLimitBytes"] = 4096));
        var body = "{\"features\":[" + string.Join(",", Enumerable.Range(0, 300)) + "]}";
        using var post = await gateway.Proxy.PostAsync("/", new StringContent(body));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal("b:" + body, await post.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Retry_BodyOverTheBufferLimit_NotRetriedOnceSent()
    {
        await using var backends = await Backends.StartAsync(2);
        backends["a"].StatusCode = 503;
        backends["a"].EchoBody = true; // reads the whole body, so it was surely sent
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r => r["Retry"]!["BufferBodyLimitBytes"] = 16));
        using var post = await gateway.Proxy.PostAsync("/", new StringContent("{\"features\":[1,2,3,4,5,6,7,8,9,10]}"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode); // a's own answer, passed on
        Assert.Equal((1, 0), (backends["a"].Hits, backends["b"].Hits));

        // A GET has no body to keep: still retried.
        backends["a"].ResetHits();
        Assert.Equal("b", (await gateway.GetSequentialAsync(1))[0]);
    }

    [Fact]
    public async Task Retry_ResponseAlreadyStarted_NeverRetried()
    {
        await using var backends = await Backends.StartAsync(2);
        backends["a"].AbortAfterFirstByte = true;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, _ => { }));
        var body = "";
        try
        {
            body = await gateway.Proxy.GetStringAsync("/");
        }
        catch (HttpRequestException)
        {
        }

        Assert.Equal((1, 0, ""), (backends["a"].Hits, backends["b"].Hits, body));
    }

    [Fact]
    public async Task Retry_TotalTimeoutSpent_NoNewTry()
    {
        await using var backends = await Backends.StartAsync(3);
        foreach (var b in backends.All)
        {
            b.Delay = TimeSpan.FromSeconds(5);
        }

        var log = new List<string>();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends.All, r =>
            r["Retry"] = new JsonObject { ["MaxTries"] = 3, ["TryTimeoutSeconds"] = 0.3, ["TotalTimeoutSeconds"] = 0.2 }), log: log);
        using var response = await gateway.Proxy.GetAsync("/");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("timed out", (await ProblemAsync(response)).GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, backends.All.Sum(b => b.Hits));

        // The operator's one line: which destination, why, and that the client got the failure.
        var tried = backends.All.Single(b => b.Hits == 1);
        var line = Assert.Single(FailedTryLines(log));
        Assert.StartsWith("Warning ", line, StringComparison.Ordinal);
        Assert.Contains($"Cluster backends: try 1 to {tried.Name} ({tried.Url}", line, StringComparison.Ordinal);
        var expected = "RequestTimedOut: no response within 0.3 s (Retry:TryTimeoutSeconds); not retried.";
        Assert.True(line.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" in\n{line}");
        AssertNoStackTraces(log);
    }

    [Fact]
    public async Task Retry_ConnectionRefused_OneLogLineNamesTheDestinationTheCauseAndWhereItWent()
    {
        await using var backends = await Backends.StartAsync(1);
        using var deadPort = new Benchmarks.Local.ReservedDeadPort(); // nothing listens there, nor can while held
        var dead = $"{deadPort.Url}/";
        var log = new List<string>();
        var config = ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("dead", dead), ("a", backends["a"].Url)],
            ResilienceConfig.FastResilience(), activeHealth: false);
        await using var gateway = await GatewayUnderTest.StartAsync(config, log: log);

        Assert.Equal(["a", "a"], await gateway.GetSequentialAsync(2)); // round-robin sends one of the two to dead

        var line = Assert.Single(FailedTryLines(log));
        Assert.StartsWith("Warning ", line, StringComparison.Ordinal);
        var expected = $"Cluster backends: try 1 to dead ({dead}) failed, Request: Connection refused; retried on a.";
        Assert.True(line.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" in\n{line}");
        AssertNoStackTraces(log);
    }
}
