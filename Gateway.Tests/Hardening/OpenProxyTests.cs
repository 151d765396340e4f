using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hardening;

/// <summary>
/// The gateway is a reverse proxy, never an open one: an absolute-form request for another host, or a CONNECT to it,
/// goes to the configured destinations or nowhere; the other host never sees a connection.
/// </summary>
public class OpenProxyTests
{
    [Theory]
    [InlineData("GET http://127.0.0.1:{0}/steal HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n")]
    [InlineData("GET http://127.0.0.1:{0}/steal HTTP/1.1\r\nHost: gw\r\n\r\n")]
    [InlineData("GET http://127.0.0.1:{0}/steal HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:{0} HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n")]
    [InlineData("GET /steal HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n")]
    public async Task OtherHost_NeverReached(string template)
    {
        await using var backend = new CountingBackend();
        await using var other = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url));
        using var client = await RawClient.ConnectAsync(new Uri(gateway.Host.ProxyUrls[0]));
        await client.SendAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, other.Port));
        var status = RawClient.Status(await client.ReadResponseAsync());
        // The configured destination may answer (the path goes where routes say), or the gateway refuses: never the other host.
        Assert.True(status is 200 or 400 or 405, $"status {status}");
        await Task.Delay(200);
        Assert.Equal(0, other.Connections);
        Assert.DoesNotContain("CONNECT", backend.Received, StringComparison.Ordinal);
    }
}
