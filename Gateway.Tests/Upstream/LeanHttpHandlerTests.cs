using System.Net;
using System.Text;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The lean handler against raw TCP backends that send exact bytes, each case run through SocketsHttpHandler too:
/// YARP must see the same thing from both (status, headers, body, trailers; or the same exception types and
/// HttpRequestError), so its retries, breakers and timeouts behave the same.
/// </summary>
public class LeanHttpHandlerTests
{
    public static TheoryData<string, string, string> Replies => new()
    {
        { "content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\nX-Queue-Depth: 3\r\n\r\nhello", "body 'hello'" },
        { "chunked with trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n", "trailers X-Checksum=abc" },
        { "chunked and content-length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "body 'ok'" },
        { "no length, until close", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", "body 'all of it'" },
        { "interim 103 then 200", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "200 OK" },
        { "unasked 100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "body 'ok'" },
        { "HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.0" },
        { "no reason phrase", "HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n", "503  HTTP/1.1" },
        { "own reason phrase", "HTTP/1.1 200 Fine Thanks\r\nContent-Length: 0\r\n\r\n", "200 Fine Thanks" },
        { "204 with a length", "HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n", "body ''" },
        { "bare LF lines", "HTTP/1.1 200 OK\nX-A: a\nContent-Length: 2\n\nok", "X-A=a" },
        { "folded header", "HTTP/1.1 200 OK\r\nX-A: a\r\n  b\r\nContent-Length: 0\r\n\r\n", "X-A=a" },
        { "repeated header", "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n", "Set-Cookie=a=1,b=2" },
        { "60 KB of headers", "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 60_000) + "\r\nContent-Length: 2\r\n\r\nok", "body 'ok'" },
        { "70 KB of headers", "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 70_000) + "\r\nContent-Length: 2\r\n\r\nok", "send: HttpRequestException[ConfigurationLimitExceeded]" },
        { "malformed status line", "hello world\r\n\r\n", "send: HttpRequestException[InvalidResponse]" },
        { "malformed status code", "HTTP/1.1 2x0 OK\r\n\r\n", "send: HttpRequestException[InvalidResponse]" },
        { "HTTP/2 status line", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", "send: HttpRequestException[InvalidResponse]" },
        { "space in header name", "HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n", "send: HttpRequestException[InvalidResponse]" },
        { "header without colon", "HTTP/1.1 200 OK\r\nBadHeader\r\nContent-Length: 0\r\n\r\n", "send: HttpRequestException[InvalidResponse]" },
        { "bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab", "body: HttpIOException[InvalidResponse]" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public async Task SendAsync_Reply_SameAsSocketsHttpHandler(string name, string reply, string expected)
    {
        var (lean, sockets) = await BothAsync(() => RawBackend.Start(_ => new RawReply(reply, close: true)),
            url => new HttpRequestMessage(HttpMethod.Get, url + "/x"));
        Assert.Contains(expected, sockets, StringComparison.Ordinal); // the case shows what it is meant to show
        Assert.True(sockets == lean, $"{name}:\n sockets: {sockets}\n lean:    {lean}");
    }

    public static TheoryData<string, string, string, bool> Cuts => new()
    {
        // A backend that closes before any byte of the answer: a bodiless request is sent again on new connections.
        { "closed before the head", "", "send: HttpRequestException[ResponseEnded] <- HttpIOException[ResponseEnded]", false },
        { "closed in the head", "HTTP/1.1 200 OK\r\nContent-Le", "send: HttpRequestException[ResponseEnded] <- HttpIOException[ResponseEnded]", false },
        { "closed in a Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "body: HttpIOException[ResponseEnded]", false },
        { "closed in a chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "body: HttpIOException[ResponseEnded]", false },
        { "closed before the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", "body: HttpIOException[ResponseEnded]", false },
        { "reset in a Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "| body: ", true }, // RST or FIN first: a race
    };

    [Theory]
    [MemberData(nameof(Cuts))]
    public async Task SendAsync_BackendClosesEarly_SameErrorAsSocketsHttpHandler(string name, string reply, string expected, bool reset)
    {
        await using var leanBackend = RawBackend.Start(_ => new RawReply(reply, close: !reset, reset: reset));
        await using var socketsBackend = RawBackend.Start(_ => new RawReply(reply, close: !reset, reset: reset));
        using var pair = new HandlerPair();
        var lean = await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Get, leanBackend.Url + "/"));
        var sockets = await HandlerPair.OutcomeAsync(pair.Sockets, new HttpRequestMessage(HttpMethod.Get, socketsBackend.Url + "/"));
        Assert.Contains(expected, sockets, StringComparison.Ordinal);
        Assert.True(sockets == lean, $"{name}:\n sockets: {sockets}\n lean:    {lean}");
        Assert.Equal(socketsBackend.Connections, leanBackend.Connections); // the same resends (4 tries for a cut before the head)
    }

    [Fact]
    public async Task SendAsync_PostClosedBeforeAnswer_NotSentAgain()
    {
        await using var backend = RawBackend.Start(_ => new RawReply("", close: true));
        using var pair = new HandlerPair();
        var outcome = await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Post, backend.Url + "/") { Content = new StringContent("x") });
        Assert.Equal("send: HttpRequestException[ResponseEnded] <- HttpIOException[ResponseEnded]", outcome);
        Assert.Equal(1, backend.Connections); // a body may have had effects: SocketsHttpHandler does not resend it either
    }

    [Fact]
    public async Task SendAsync_ConnectionRefused_ConnectionError()
    {
        using var pair = new HandlerPair();
        using var port = new Benchmarks.Local.ReservedDeadPort(); // nothing listens there, nor can while held
        var lean = await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Get, $"{port.Url}/"));
        var sockets = await HandlerPair.OutcomeAsync(pair.Sockets, new HttpRequestMessage(HttpMethod.Get, $"{port.Url}/"));
        Assert.Equal("send: HttpRequestException[ConnectionError] <- SocketException", sockets);
        Assert.Equal(sockets, lean);
    }

    [Fact]
    public async Task SendAsync_KeepAlive_ReusesOneConnection()
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        using var pair = new HandlerPair();
        for (var i = 0; i < 5; i++)
        {
            Assert.EndsWith("body 'ok' | trailers ", await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Get, backend.Url + "/")),
                StringComparison.Ordinal);
        }

        Assert.Equal(1, backend.Connections);
        Assert.Equal([0, 1, 2, 3, 4], backend.Requests.Select(r => r.Number));
    }

    [Fact]
    public async Task SendAsync_ChunkedAndUnreadBodies_ConnectionStillReused()
    {
        await using var backend = RawBackend.Start(r => new RawReply(r.Number % 2 == 0
            ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"));
        using var pair = new HandlerPair();
        for (var i = 0; i < 4; i++)
        {
            // Dropped without reading the body, as YARP drops a held-back 503: the rest is buffered, so the connection stays.
            using var response = await pair.Lean.SendAsync(new HttpRequestMessage(HttpMethod.Get, backend.Url + "/"), CancellationToken.None);
            Assert.Equal(i % 2 == 0 ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(1, backend.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\nok")]
    public async Task SendAsync_ResponseEndsConnection_NextRequestOnANewOne(string reply)
    {
        await using var backend = RawBackend.Start(_ => new RawReply(reply, close: true));
        using var pair = new HandlerPair();
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains("body 'ok'", await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Get, backend.Url + "/")), StringComparison.Ordinal);
        }

        Assert.Equal(3, backend.Connections);
        Assert.All(backend.Requests, r => Assert.Equal(0, r.Number));
    }

    [Fact]
    public async Task SendAsync_RequestAsksClose_ConnectionNotReused()
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        using var pair = new HandlerPair();
        for (var i = 0; i < 2; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, backend.Url + "/");
            request.Headers.ConnectionClose = true;
            Assert.Contains("body 'ok'", await HandlerPair.OutcomeAsync(pair.Lean, request), StringComparison.Ordinal);
        }

        Assert.Equal(2, backend.Connections);
    }

    [Fact]
    public async Task SendAsync_IdleConnectionClosedByBackend_RequestGoesOnANewOne()
    {
        // The backend closes after each answer without saying so (no Connection: close): the pooled connection is stale.
        await using var backend = RawBackend.Start(_ => new RawReply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true));
        using var pair = new HandlerPair();
        Assert.Contains("body 'ok'", await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Get, backend.Url + "/")), StringComparison.Ordinal);
        await Task.Delay(200); // let the FIN arrive
        var post = new HttpRequestMessage(HttpMethod.Post, backend.Url + "/") { Content = new StringContent("body") };
        Assert.Contains("body 'ok'", await HandlerPair.OutcomeAsync(pair.Lean, post), StringComparison.Ordinal);
        Assert.Equal(2, backend.Connections);
    }

    [Fact]
    public async Task SendAsync_Get_WritesTheSameHeadAsSocketsHttpHandler()
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        using var pair = new HandlerPair();
        foreach (var client in new[] { pair.Sockets, pair.Lean })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, backend.Url + "/a/b%20c?q=1&r=%C3%A9");
            request.Headers.TryAddWithoutValidation("Accept", ["text/plain", "application/json"]);
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.0.0.1");
            request.Headers.TryAddWithoutValidation("User-Agent", ["curl/8.0", "(test)"]);
            request.Headers.TryAddWithoutValidation("Cookie", ["a=1", "b=2"]);
            await HandlerPair.OutcomeAsync(client, request);
        }

        var heads = backend.Requests.Select(r => r.Head).ToArray();
        Assert.Equal(2, heads.Length);
        Assert.StartsWith("GET /a/b%20c?q=1&r=%C3%A9 HTTP/1.1\r\nHost: 127.0.0.1:", heads[1], StringComparison.Ordinal);
        Assert.Equal(Lines(heads[0]), Lines(heads[1]));
    }

    [Theory]
    [InlineData("POST", true)]
    [InlineData("PUT", false)]
    public async Task SendAsync_Body_FramedAsSocketsHttpHandlerFramesIt(string method, bool knownLength)
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        using var pair = new HandlerPair();
        var payload = new string('x', 40_000); // above the lean client's 16 KB send buffer
        foreach (var client in new[] { pair.Sockets, pair.Lean })
        {
            HttpContent content = knownLength
                ? new StringContent(payload, Encoding.UTF8, "text/plain")
                : new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes(payload)));
            await HandlerPair.OutcomeAsync(client, new HttpRequestMessage(new HttpMethod(method), backend.Url + "/upload") { Content = content });
        }

        var requests = backend.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(payload, requests[1].Body);
        Assert.Contains(knownLength ? "Content-Length: 40000" : "Transfer-Encoding: chunked", requests[1].Head, StringComparison.Ordinal);
        Assert.Equal(Lines(requests[0].Head), Lines(requests[1].Head));
    }

    [Fact]
    public async Task SendAsync_PostWithoutContent_SaysContentLengthZero()
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        using var pair = new HandlerPair();
        await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Post, backend.Url + "/"));
        Assert.Contains("\r\nContent-Length: 0\r\n", Assert.Single(backend.Requests).Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_HeadRequest_NoBodyReadAndConnectionReused()
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
        using var pair = new HandlerPair();
        for (var i = 0; i < 2; i++)
        {
            var outcome = await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Head, backend.Url + "/"));
            Assert.Contains("Content-Length=1234 | body ''", outcome, StringComparison.Ordinal);
        }

        Assert.Equal(1, backend.Connections);
    }

    [Fact]
    public async Task SendAsync_UpgradeRequest_GoesToSocketsHttpHandler()
    {
        // The lean client sends no upgrades; the fallback writes the request (seen here by its own User-Agent-less head
        // being the same either way, so the check is the pool: the lean pool never saw the destination).
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        using var pair = new HandlerPair();
        var request = new HttpRequestMessage(HttpMethod.Get, backend.Url + "/ws");
        request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        await HandlerPair.OutcomeAsync(pair.Lean, request);
        Assert.Empty(pair.Pools.All);
        await HandlerPair.OutcomeAsync(pair.Lean, new HttpRequestMessage(HttpMethod.Get, backend.Url + "/"));
        Assert.Single(pair.Pools.All);
    }

    private static async Task<(string Lean, string Sockets)> BothAsync(Func<RawBackend> backend, Func<string, HttpRequestMessage> request)
    {
        await using var leanBackend = backend();
        await using var socketsBackend = backend();
        using var pair = new HandlerPair();
        return (await HandlerPair.OutcomeAsync(pair.Lean, request(leanBackend.Url)), await HandlerPair.OutcomeAsync(pair.Sockets, request(socketsBackend.Url)));
    }

    /// <summary>Header lines as a sorted set with the Host port masked (order is not part of HTTP's meaning).</summary>
    private static string[] Lines(string head) =>
        [.. head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.StartsWith("Host:", StringComparison.Ordinal) ? "Host" : l).Order(StringComparer.Ordinal)];
}
