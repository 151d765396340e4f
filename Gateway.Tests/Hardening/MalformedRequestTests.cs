using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hardening;

/// <summary>
/// Requests that are malformed, ambiguous or too large, as exact bytes on a raw socket through the real gateway: each is
/// answered 4xx (or the connection closed) and the backend sees none of it, not even a connection; a good request on a
/// new connection afterwards is served, so nothing was left behind.
/// </summary>
public class MalformedRequestTests
{
    private const string Limits = """
        "ServerLimits": { "MaxRequestLineBytes": 1024, "MaxRequestHeadersBytes": 4096, "MaxRequestHeaderCount": 20, "MaxRequestBodyBytes": 1000 }
        """;

    public static TheoryData<string, string, int[]> Cases => new()
    {
        { "Content-Length and Transfer-Encoding (CL.TE smuggling)",
            "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: gw\r\n\r\n", [400] },
        { "two different Content-Lengths",
            "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\nhelloGET /smuggled HTTP/1.1\r\nHost: gw\r\n\r\n", [400] },
        { "Transfer-Encoding not ending in chunked",
            "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: gw\r\n\r\n", [400] },
        { "obfuscated Transfer-Encoding (space before the colon)",
            "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", [400] },
        { "obs-fold (a header line continued on the next)",
            "GET /a HTTP/1.1\r\nHost: gw\r\nX-Folded: one\r\n two\r\n\r\n", [400] },
        { "bad chunk size",
            "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", [400] },
        { "chunk size overflowing 64 bits",
            "POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nhello\r\n0\r\n\r\n", [400] },
        { "request line over MaxRequestLineBytes",
            $"GET /{new string('a', 2000)} HTTP/1.1\r\nHost: gw\r\n\r\n", [414] },
        { "headers over MaxRequestHeadersBytes",
            $"GET /a HTTP/1.1\r\nHost: gw\r\nX-Big: {new string('b', 5000)}\r\n\r\n", [431] },
        { "more headers than MaxRequestHeaderCount",
            $"GET /a HTTP/1.1\r\nHost: gw\r\n{string.Concat(Enumerable.Range(0, 30).Select(i => $"X-H{i}: v\r\n"))}\r\n", [431] },
        { "declared body over MaxRequestBodyBytes",
            $"POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 5000\r\n\r\n{new string('c', 5000)}", [413] },
        { "chunked body over MaxRequestBodyBytes",
            $"POST /a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n{new string('c', 5000)}\r\n0\r\n\r\n", [413] },
        { "no Host header",
            "GET /a HTTP/1.1\r\n\r\n", [400] },
        { "a space inside a header name",
            "GET /a HTTP/1.1\r\nHost: gw\r\nX Bad: 1\r\n\r\n", [400] },
        { "a NUL in a header value",
            "GET /a HTTP/1.1\r\nHost: gw\r\nX-A: a\0b\r\n\r\n", [400] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Refused_BeforeAnythingIsForwarded_BackendSeesNothing(string name, string request, int[] statuses)
    {
        await using var backend = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, Limits));
        var url = new Uri(gateway.Host.ProxyUrls[0]);
        using (var client = await RawClient.ConnectAsync(url))
        {
            await client.SendAsync(request);
            var response = await client.ReadToCloseAsync();
            var status = RawClient.Status(response);
            Assert.True(statuses.Contains(status), $"{name}: expected {string.Join(" or ", statuses)}, got {(status == 0 ? "no answer" : status)}:\n{response}");
        }

        // The connection is closed after a refusal, so nothing more of it can reach the backend; a good request shows the
        // gateway still serves, and is the only thing the backend ever saw.
        using var good = await RawClient.ConnectAsync(url);
        await good.SendAsync("GET /good HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal(200, RawClient.Status(await good.ReadResponseAsync()));
        Assert.DoesNotContain("/a ", backend.Received, StringComparison.Ordinal);
        Assert.DoesNotContain("smuggled", backend.Received, StringComparison.Ordinal);
        Assert.Single(backend.Received.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task BodyOverLimit_Declared_IsProblemJsonWith413()
    {
        await using var backend = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, Limits));
        using var client = await RawClient.ConnectAsync(new Uri(gateway.Host.ProxyUrls[0]));
        await client.SendAsync("POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 1001\r\n\r\n");
        var response = await client.ReadToCloseAsync();
        Assert.Equal(413, RawClient.Status(response));
        Assert.Equal("application/problem+json", RawClient.Header(response, "Content-Type"));
        Assert.Contains("MaxRequestBodyBytes", response, StringComparison.Ordinal);
        Assert.Equal(0, backend.Connections);
    }

    [Fact]
    public async Task Pipelined_SecondRequest_IsForwardedAsItsOwnRequest()
    {
        // Not smuggling but its honest twin: a second request after a complete one is the client's own next
        // request. The backend must see two requests framed by the gateway, each once.
        await using var backend = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, Limits));
        using var client = await RawClient.ConnectAsync(new Uri(gateway.Host.ProxyUrls[0]));
        await client.SendAsync("GET /first HTTP/1.1\r\nHost: gw\r\n\r\nGET /second HTTP/1.1\r\nHost: gw\r\n\r\n");
        Assert.Equal(200, RawClient.Status(await client.ReadResponseAsync()));
        Assert.Equal(200, RawClient.Status(await client.ReadResponseAsync()));
        Assert.Contains("GET /first HTTP/1.1", backend.Received, StringComparison.Ordinal);
        Assert.Contains("GET /second HTTP/1.1", backend.Received, StringComparison.Ordinal);
    }
}
