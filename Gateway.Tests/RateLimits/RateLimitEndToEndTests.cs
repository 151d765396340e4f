using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.RateLimits;

/// <summary>
/// LbProxy.RateLimits through the real gateway, driven by load loops: the limit is hit at the configured rate (counts
/// with a tolerant bound), other clients are not limited, the answer is 429 with Retry-After and problem+json, and the
/// rejections show on /status and /metrics.
/// </summary>
public class RateLimitEndToEndTests
{
    private static string Config(TestBackend backend, JsonObject rules) => ConfigJson.WithLbProxy(
        ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [(backend.Name, backend.Url)], resilience: new JsonObject(), activeHealth: false),
        "RateLimits", rules);

    /// <summary>A client whose connections come from <paramref name="localAddress"/> (any 127.x.y.z is this machine's loopback).</summary>
    private static HttpClient ClientFrom(string localAddress, Uri baseAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = baseAddress };

    [Fact]
    public async Task RequestsPerSecond_ClientOverRate_429WithRetryAfter_OtherClientNotLimited()
    {
        await using var backends = await Backends.StartAsync(1);
        const double rate = 20;
        const int burst = 10;
        var rules = new JsonObject { ["per-ip"] = new JsonObject { ["Key"] = "ip", ["RequestsPerSecond"] = rate, ["Burst"] = burst } };
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], rules));
        using var greedy = ClientFrom("127.0.0.1", gateway.Proxy.BaseAddress!);
        using var calm = ClientFrom("127.0.0.2", gateway.Proxy.BaseAddress!);

        // The load loop: 200 requests back to back from one address.
        var ok = 0;
        HttpResponseMessage? rejected = null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            var response = await greedy.GetAsync("/");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                ok++;
                response.Dispose();
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                if (rejected is null)
                {
                    rejected = response;
                }
                else
                {
                    response.Dispose();
                }
            }
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        // Admitted: the burst, plus what the rate refilled meanwhile (refills come in 100 ms steps: one step of slack).
        Assert.InRange(ok, burst, burst + (int)Math.Ceiling(rate * (elapsed + 0.1)) + 1);
        Assert.NotNull(rejected);
        using (rejected)
        {
            Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
            Assert.True(int.Parse(rejected.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            var problem = JsonNode.Parse(await rejected.Content.ReadAsStringAsync())!;
            Assert.Equal(429, (int)problem["status"]!);
            Assert.Contains("per-ip", (string)problem["detail"]!, StringComparison.Ordinal);
        }

        // Another address has its own bucket.
        for (var i = 0; i < 5; i++)
        {
            using var response = await calm.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The rate refills the bucket: the greedy client gets through again (within a few seconds on a loaded machine).
        var admittedAgain = false;
        var rejectedWhileWaiting = 0;
        for (var i = 0; i < 60 && !admittedAgain; i++)
        {
            await Task.Delay(100);
            using var response = await greedy.GetAsync("/");
            admittedAgain = response.StatusCode == HttpStatusCode.OK;
            rejectedWhileWaiting += admittedAgain ? 0 : 1;
        }

        Assert.True(admittedAgain);

        var status = (await gateway.StatusAsync()).GetProperty("rateLimits")[0];
        Assert.Equal("per-ip", status.GetProperty("name").GetString());
        Assert.Equal(200 - ok + rejectedWhileWaiting, status.GetProperty("rejections").GetProperty("rate").GetInt64());
        var metrics = await gateway.Admin.GetStringAsync("/metrics");
        Assert.Contains("lbproxy_rate_limit_rejections_total{", metrics, StringComparison.Ordinal);
        Assert.Matches("lbproxy_rate_limit_limit\\{[^}]*kind=\"rate\"[^}]*limit=\"per-ip\"[^}]*\\} 20", metrics);
    }

    [Fact]
    public async Task HeaderKey_EachKeyItsOwnBucket_RequestsWithoutTheHeaderNotCounted()
    {
        await using var backends = await Backends.StartAsync(1);
        var rules = new JsonObject { ["per-key"] = new JsonObject { ["Key"] = "header:X-Api-Key", ["RequestsPerSecond"] = 0.1, ["Burst"] = 3 } };
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], rules));

        async Task<List<int>> SendAsync(string? key, int count)
        {
            var codes = new List<int>();
            for (var i = 0; i < count; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/");
                if (key is not null)
                {
                    request.Headers.Add("X-Api-Key", key);
                }

                using var response = await gateway.Proxy.SendAsync(request);
                codes.Add((int)response.StatusCode);
            }

            return codes;
        }

        // 0.1 r/s: nothing refills during the test, so the counts are exact.
        Assert.Equal([200, 200, 200, 429, 429], await SendAsync("k1", 5));
        Assert.Equal([200, 200, 200, 429], await SendAsync("k2", 4));
        Assert.All(await SendAsync(null, 10), code => Assert.Equal(200, code));
    }

    [Fact]
    public async Task ConcurrentRequests_OverLimit_429UntilOneFinishes()
    {
        await using var backends = await Backends.StartAsync(1);
        var rules = new JsonObject { ["inflight"] = new JsonObject { ["Key"] = "route", ["ConcurrentRequests"] = 2 } };
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], rules));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backends["a"].Gate = gate;

        var held = new[] { gateway.Proxy.GetAsync("/1"), gateway.Proxy.GetAsync("/2") };
        var waited = Stopwatch.StartNew();
        while (backends["a"].Hits < 2 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        using (var third = await gateway.Proxy.GetAsync("/3"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.True(third.Headers.Contains("Retry-After"));
        }

        Assert.Equal(2, backends["a"].Hits);
        gate.SetResult();
        foreach (var response in await Task.WhenAll(held))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        using var after = await gateway.Proxy.GetAsync("/4");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var rejections = (await gateway.StatusAsync()).GetProperty("rateLimits")[0].GetProperty("rejections");
        Assert.Equal(1, rejections.GetProperty("concurrency").GetInt64());
    }

    [Fact]
    public async Task Connections_OneTooMany_Answered429AndClosed_OthersKeepWorking()
    {
        await using var backends = await Backends.StartAsync(1);
        var rules = new JsonObject { ["conns"] = new JsonObject { ["Key"] = "ip", ["Connections"] = 2 } };
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], rules));
        var endpoint = new IPEndPoint(IPAddress.Loopback, gateway.Proxy.BaseAddress!.Port);

        // One HTTP/1.1 exchange on a connection of its own, read to the end of the response (Content-Length or chunked).
        static async Task<string> RequestAsync(NetworkStream stream)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: test\r\n\r\n"));
            var text = new StringBuilder();
            var buffer = new byte[4096];
            while (!Complete(text.ToString()))
            {
                var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                if (read == 0)
                {
                    break;
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return text.ToString();
        }

        static bool Complete(string response)
        {
            var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                return false;
            }

            var head = response[..end];
            var length = System.Text.RegularExpressions.Regex.Match(head, "(?i)content-length: *(\\d+)");
            return length.Success
                ? response.Length - end - 4 >= int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
                : response.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
        }

        using var first = new TcpClient();
        await first.ConnectAsync(endpoint);
        using var second = new TcpClient();
        await second.ConnectAsync(endpoint);
        Assert.StartsWith("HTTP/1.1 200", await RequestAsync(first.GetStream()), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", await RequestAsync(second.GetStream()), StringComparison.Ordinal);

        using (var third = new TcpClient())
        {
            await third.ConnectAsync(endpoint);
            var answer = await RequestAsync(third.GetStream());
            Assert.StartsWith("HTTP/1.1 429", answer, StringComparison.Ordinal);
            Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        }

        // The two held connections still work; one closed, a new one is admitted.
        Assert.StartsWith("HTTP/1.1 200", await RequestAsync(first.GetStream()), StringComparison.Ordinal);
        second.Close();
        string? fourthAnswer = null;
        for (var i = 0; i < 50 && fourthAnswer?.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) != true; i++)
        {
            await Task.Delay(50); // the gateway sees the close asynchronously
            using var fourth = new TcpClient();
            await fourth.ConnectAsync(endpoint);
            fourthAnswer = await RequestAsync(fourth.GetStream());
        }

        Assert.StartsWith("HTTP/1.1 200", fourthAnswer, StringComparison.Ordinal);
    }
}
