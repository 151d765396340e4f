using System.Net.WebSockets;
using System.Text;

namespace Gateway.Tests.NginxCompat;

/// <summary>WebSocket upgrade through nginx's documented headers, under real nginx and lbproxy-nginx.</summary>
[Collection(NginxDifferential.Name)]
public sealed class WebSocketExampleTests
{
    [Fact]
    public async Task WebSocket_UpgradeHeadersSet_EchoesThroughAsNginx_AndNotWithoutThem()
    {
        await using var run = await DifferentialRun.StartAsync("websocket.conf");

        var (nginx, gateway) = await run.CompareAsync(send => Task.CompletedTask, after: async proxy =>
        {
            var seen = new List<string>();
            foreach (var path in new[] { "/ws/a", "/ws/b", "/ws/c", "/plain/d" })
            {
                seen.Add($"{path}: {await ExchangeAsync(new Uri($"ws://127.0.0.1:{proxy.Ports[0]}{path}"))}");
            }

            return seen;
        });

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Contains("/ws/a: b0: hello /ws/a | b0: again", nginx);
    }

    private static async Task<string> ExchangeAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
        }
        catch (WebSocketException ex)
        {
            return "no upgrade: " + ex.WebSocketErrorCode;
        }

        var replies = new List<string>();
        foreach (var message in new[] { "hello " + uri.AbsolutePath, "again" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[4096];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            replies.Add(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        return string.Join(" | ", replies);
    }
}
