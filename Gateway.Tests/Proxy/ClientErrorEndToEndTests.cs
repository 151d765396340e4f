using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

/// <summary>
/// What a client does wrong is the client's, never the destination's: through the real gateway with raw sockets,
/// requests the forwarder cannot send (CONNECT) and bodies the client never delivers leave the destination closed,
/// healthy and unpenalised, answer the client with a 4xx, and log no failed-try line.
/// </summary>
public class ClientErrorEndToEndTests
{
    private static async Task<string> RawAsync(string url, string request, TimeSpan? closeSendingAfter = null, bool resetIsAnAnswer = false)
    {
        var uri = new Uri(url);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        if (closeSendingAfter is { } pause)
        {
            await Task.Delay(pause);
            client.Client.Shutdown(SocketShutdown.Send);
        }

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var read = reader.ReadToEndAsync();
        var done = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(read, done);
        try
        {
            return await read;
        }
        catch (IOException) when (resetIsAnAnswer)
        {
            return "";
        }
    }

    private static JsonElement Destination(JsonElement status) =>
        status.GetProperty("clusters")[0].GetProperty("destinations")[0];

    private static void AssertUntouched(JsonElement destination)
    {
        Assert.Equal(0, destination.GetProperty("failures").GetInt64());
        Assert.Equal(0, destination.GetProperty("inFlight").GetInt64());
        Assert.Equal(0, destination.GetProperty("latencyEstimateMs").GetDouble());
        Assert.Equal("Closed", destination.GetProperty("circuit").GetProperty("state").GetString());
        Assert.Equal(0, destination.GetProperty("circuit").GetProperty("opened").GetInt64());
        Assert.True(destination.GetProperty("available").GetBoolean());
    }

    [Fact]
    public async Task Connect_ManyTimes_Answers405AndNeverTouchesTheDestination()
    {
        await using var backends = await Backends.StartAsync(1);
        var log = new List<string>();
        await using var gateway = await GatewayUnderTest.StartAsync(
            ResilienceConfig.Build(LoadBalancingPolicyNames.Adaptive, backends.All.Select(b => (b.Name, b.Url)), activeHealth: false), log: log);

        for (var i = 0; i < 8; i++)
        {
            var answer = await RawAsync(gateway.Host.ProxyUrls[0], "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nConnection: close\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 405", answer, StringComparison.Ordinal);
            Assert.Contains("Allow: ", answer, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        }

        AssertUntouched(Destination(await gateway.StatusAsync()));
        Assert.Equal(0, backends["a"].Hits);
        lock (log)
        {
            Assert.DoesNotContain(log, l => l.Contains("ForwardingMiddleware[200]", StringComparison.Ordinal));
        }

        // The destination still serves.
        Assert.Equal(["a", "a"], await gateway.GetSequentialAsync(2));
    }

    [Fact]
    public async Task BodyNeverDelivered_ManyTimes_DoesNotCountAgainstTheDestination()
    {
        await using var backends = await Backends.StartAsync(1);
        var log = new List<string>();
        await using var gateway = await GatewayUnderTest.StartAsync(
            ResilienceConfig.Build(LoadBalancingPolicyNames.Adaptive, backends.All.Select(b => (b.Name, b.Url)), activeHealth: false), log: log);

        for (var i = 0; i < 8; i++)
        {
            // Promises 1000 bytes, sends 10, stalls, then stops sending: the forwarder fails reading the client's body. The
            // stall is longer than anything the destination did, so were it taken for the destination's latency it would show.
            // Kestrel may answer 400 or reset the connection it can no longer trust: either is fine for the client.
            var answer = await RawAsync(gateway.Host.ProxyUrls[0],
                "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":1234}",
                closeSendingAfter: TimeSpan.FromMilliseconds(150), resetIsAnAnswer: true);
            Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), answer);
        }

        // The gateway finishes each try after the client is gone: wait for in-flight to drain.
        for (var i = 0; i < 100 && Destination(await gateway.StatusAsync()).GetProperty("inFlight").GetInt64() > 0; i++)
        {
            await Task.Delay(20);
        }

        AssertUntouched(Destination(await gateway.StatusAsync()));
        lock (log)
        {
            Assert.DoesNotContain(log, l => l.Contains("ForwardingMiddleware[200]", StringComparison.Ordinal));
        }

        Assert.Equal(["a", "a"], await gateway.GetSequentialAsync(2));
    }
}
