using Gateway.Tests.Infrastructure;
using Gateway.Tests.Upstream;

namespace Gateway.Tests.Hardening;

/// <summary>
/// Hop-by-hop headers (RFC 9110 7.6.1: Connection, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade, and
/// every header the Connection header names) belong to one connection and are never passed on: checked both ways,
/// through the lean upstream client and through SocketsHttpHandler, with exact bytes on both sides.
/// </summary>
public class HopByHopHeaderTests
{
    private const string Reply = "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Backend-Hop\r\nX-Backend-Hop: secret\r\nKeep-Alive: timeout=5\r\n" +
        "Proxy-Connection: keep-alive\r\nX-Backend-Normal: yes\r\nContent-Length: 2\r\n\r\nok";

    [Theory]
    [InlineData("Lean")]
    [InlineData("Sockets")]
    public async Task HopByHop_BothWays_Stripped(string upstreamClient)
    {
        await using var backend = RawBackend.Always(Reply);
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, upstreamClient: upstreamClient));
        using var client = await RawClient.ConnectAsync(new Uri(gateway.Host.ProxyUrls[0]));
        // Not "keep-alive, X-Client-Hop": Kestrel hands the app a Connection header naming keep-alive as just "keep-alive",
        // so a header nominated beside keep-alive cannot be seen (README in Gateway/Hardening, known gaps).
        await client.SendAsync("GET /h HTTP/1.1\r\nHost: gw\r\nConnection: X-Client-Hop, X-Other-Hop\r\nX-Client-Hop: token\r\nX-Other-Hop: 2\r\n" +
            "Keep-Alive: timeout=9\r\nProxy-Connection: keep-alive\r\nTE: gzip\r\nX-Client-Normal: yes\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, RawClient.Status(response));
        var head = Assert.Single(backend.Requests).Head;
        Assert.Contains("X-Client-Normal: yes", head, StringComparison.OrdinalIgnoreCase);
        foreach (var name in new[] { "X-Client-Hop", "X-Other-Hop", "Keep-Alive", "Proxy-Connection", "TE", "Connection" })
        {
            Assert.Null(RawClient.Header(head + "\r\n\r\n", name));
        }

        Assert.Equal("yes", RawClient.Header(response, "X-Backend-Normal"));
        foreach (var name in new[] { "X-Backend-Hop", "Keep-Alive", "Proxy-Connection" })
        {
            Assert.Null(RawClient.Header(response, name));
        }
    }
}
