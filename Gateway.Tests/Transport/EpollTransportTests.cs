using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Gateway.Tests.NginxCompat;
using Gateway.Transport;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Transport;

/// <summary>
/// Kestrel on the epoll transport against Kestrel on its socket transport: the same requests over real loopback
/// connections must give the same answers, closes and errors (the epoll one is what the gateway runs on).
/// </summary>
public class EpollTransportTests
{
    public static TheoryData<string> Transports => ["epoll", "sockets"];

    [Fact]
    public async Task Kestrel_EpollTransportRegistered_ServesIpListenersWithEpollConnections()
    {
        await using var app = await TransportApp.StartAsync("epoll", ctx =>
            ctx.Response.WriteAsync(ctx.Features.Get<IConnectionSocketFeature>()?.GetType().Name ?? "none"));
        using var client = new HttpClient();
        Assert.Equal(nameof(EpollConnection), await client.GetStringAsync(app.Url));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_LargeBodiesBothWays_EchoedIntactThroughPipeBackpressure(string transport)
    {
        // 6 MB each way: above the input pipe's 1 MB pause and the kernel's send buffer, so the receive loop pauses
        // and the send loop waits for output edges.
        await using var app = await TransportApp.StartAsync(transport, async ctx =>
        {
            ctx.Response.ContentType = "application/octet-stream";
            await ctx.Request.Body.CopyToAsync(ctx.Response.Body);
        });
        var payload = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);
        using var client = new HttpClient();
        using var response = await client.PostAsync(new Uri(app.Url, "/echo"), new ByteArrayContent(payload));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(body));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_SlowReader_LargeResponseArrivesWhole(string transport)
    {
        var payload = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await using var app = await TransportApp.StartAsync(transport, ctx =>
        {
            ctx.Response.ContentLength = payload.Length;
            return ctx.Response.Body.WriteAsync(payload).AsTask();
        });
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
        await socket.ConnectAsync(app.EndPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        using var received = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
            if (received.Length < 512 * 1024)
            {
                await Task.Delay(1); // read slowly at first: the server's sends hit a full buffer and wait for room
            }
        }

        var all = received.ToArray();
        var bodyStart = all.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        Assert.StartsWith("HTTP/1.1 200 OK", Encoding.ASCII.GetString(all, 0, 15), StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(all.AsSpan(bodyStart)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_ManyKeepAliveConnectionsAtOnce_EveryAnswerOnItsOwnConnection(string transport)
    {
        await using var app = await TransportApp.StartAsync(transport, Answer);
        var clients = Enumerable.Range(0, 24).Select(async c =>
        {
            await using var raw = await RawHttp.ConnectAsync(app.EndPoint.Port);
            for (var i = 0; i < 40; i++)
            {
                var path = $"/c{c}/r{i}";
                Assert.True(await raw.SendGetAsync(path, "x"));
                var answer = await raw.ReadResponseAsync();
                Assert.NotNull(answer);
                Assert.Equal((200, path), (answer.Value.Status, answer.Value.Body));
            }
        });
        await Task.WhenAll(clients);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_PipelinedRequestsInOneSend_AnsweredInOrder(string transport)
    {
        await using var app = await TransportApp.StartAsync(transport, Answer);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(app.EndPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        var all = await ReadToEndAsync(socket);
        var one = all.IndexOf("\r\n\r\n/one", StringComparison.Ordinal);
        var two = all.IndexOf("\r\n\r\n/two", StringComparison.Ordinal);
        var three = all.IndexOf("\r\n\r\n/three", StringComparison.Ordinal);
        Assert.True(one >= 0 && two > one && three > two, all);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_ClientSendsRequestThenHalfCloses_AnsweredOrNotButClosed(string transport)
    {
        // Kestrel answers or aborts a request whose client half-closed (a race in Kestrel itself, seen with its socket
        // transport too); either way the connection must close, not hang (bytes and FIN can come in one epoll edge).
        await using var app = await TransportApp.StartAsync(transport, ctx => Answer(ctx, "half"));
        for (var i = 0; i < 20; i++)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(app.EndPoint);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            socket.Shutdown(SocketShutdown.Send);
            var all = await ReadToEndAsync(socket); // times out if the server keeps the connection open
            Assert.True(all.Length == 0 || (all.StartsWith("HTTP/1.1 200 OK", StringComparison.Ordinal) && all.EndsWith("half", StringComparison.Ordinal)), all);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_ClientResetsMidRequestBody_RequestAbortedAndServerServesTheNext(string transport)
    {
        var aborted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TransportApp.StartAsync(transport, async ctx =>
        {
            if (ctx.Request.Path == "/upload")
            {
                try
                {
                    await ctx.Request.Body.CopyToAsync(Stream.Null, ctx.RequestAborted);
                    aborted.TrySetResult(false);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
                {
                    aborted.TrySetResult(true);
                }

                return;
            }

            await ctx.Response.WriteAsync("next");
        });
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(app.EndPoint);
            await socket.SendAsync(Encoding.ASCII.GetBytes("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc"));
            await Task.Delay(100);
            socket.LingerState = new LingerOption(true, 0); // close with a reset
        }

        Assert.True(await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        using var client = new HttpClient();
        Assert.Equal("next", await client.GetStringAsync(app.Url));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_AppAbortsConnection_ClientSeesItClosedWithoutAnswer(string transport)
    {
        await using var app = await TransportApp.StartAsync(transport, ctx =>
        {
            ctx.Abort();
            return Task.CompletedTask;
        });
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(app.EndPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Equal("", await ReadToEndAsync(socket));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Kestrel_MalformedHeaderLine_400AndClose(string transport)
    {
        await using var app = await TransportApp.StartAsync(transport, ctx => ctx.Response.WriteAsync("never"));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(app.EndPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"));
        var all = await ReadToEndAsync(socket);
        Assert.StartsWith("HTTP/1.1 400 Bad Request", all, StringComparison.Ordinal);
    }

    /// <summary>The path (or <paramref name="text"/>) with a Content-Length, so the raw bytes end with it.</summary>
    private static Task Answer(HttpContext ctx) => Answer(ctx, ctx.Request.Path.Value!);

    private static Task Answer(HttpContext ctx, string text)
    {
        ctx.Response.ContentLength = Encoding.ASCII.GetByteCount(text);
        return ctx.Response.WriteAsync(text);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10))) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // what was read before the reset is the answer
        }

        return text.ToString();
    }
}
