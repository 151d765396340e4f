using System.Net;
using Gateway.Config;
using Gateway.Hardening;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hardening;

/// <summary>
/// X-Forwarded-For is believed only from <c>LbProxy.TrustedProxies</c>: from a trusted proxy the chain is kept and the
/// proxy appended, and the request's client address becomes the right-most untrusted entry; from anyone else the
/// client's header is replaced by its own address.
/// </summary>
public class ForwardedForTests
{
    private static string ForwardedFor(RawRequest request) => RawClient.Header(request.Head + "\r\n\r\n", "X-Forwarded-For") ?? "";

    private static async Task<RawRequest> SendAsync(string lbProxy, string forwardedFor)
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, lbProxy));
        using var client = await RawClient.ConnectAsync(new Uri(gateway.Host.ProxyUrls[0]));
        await client.SendAsync($"GET /x HTTP/1.1\r\nHost: gw\r\nX-Forwarded-For: {forwardedFor}\r\n\r\n");
        Assert.Equal(200, RawClient.Status(await client.ReadResponseAsync()));
        return Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task UntrustedPeer_SpoofedHeader_ReplacedByPeerAddress()
    {
        var request = await SendAsync("", "203.0.113.9, 10.0.0.1");
        Assert.Equal("127.0.0.1", ForwardedFor(request));
    }

    [Fact]
    public async Task TrustedPeer_Chain_KeptAndPeerAppended()
    {
        var request = await SendAsync("""  "TrustedProxies": [ "127.0.0.1", "10.0.0.0/8" ]  """, "203.0.113.9, 10.0.0.1");
        Assert.Equal("203.0.113.9, 10.0.0.1, 127.0.0.1", ForwardedFor(request));
    }

    [Fact]
    public async Task OtherTrustedNetwork_LoopbackPeerNotTrusted_ReplacedByPeerAddress()
    {
        var request = await SendAsync("""  "TrustedProxies": [ "10.0.0.0/8" ]  """, "203.0.113.9");
        Assert.Equal("127.0.0.1", ForwardedFor(request));
    }

    [Theory]
    [InlineData("203.0.113.9, 10.0.0.1", "203.0.113.9")]          // right-most untrusted
    [InlineData("198.51.100.1, 203.0.113.9, 10.0.0.1", "203.0.113.9")] // entries left of it are the client's word only
    [InlineData("10.0.0.2, 10.0.0.1", "10.0.0.2")]                 // all trusted: the left-most
    [InlineData("203.0.113.9:5123", "203.0.113.9")]                // with a port
    [InlineData("[2001:db8::7]:443", "2001:db8::7")]
    [InlineData("garbage, 10.0.0.1", "10.0.0.1")]                 // unreadable: the last good one, nothing left of it
    [InlineData("203.0.113.9,10.0.0.1", "203.0.113.9")]
    public async Task TrustedPeer_ClientAddress_RightMostUntrusted(string header, string expected)
    {
        var client = await ClientAddressAsync(["127.0.0.1", "10.0.0.0/8"], IPAddress.Loopback, header);
        Assert.Equal(IPAddress.Parse(expected), client);
    }

    [Fact]
    public async Task UntrustedPeer_ClientAddress_Unchanged()
    {
        var client = await ClientAddressAsync(["10.0.0.0/8"], IPAddress.Parse("192.0.2.1"), "203.0.113.9");
        Assert.Equal(IPAddress.Parse("192.0.2.1"), client);
    }

    [Fact]
    public async Task Bind_BadEntry_ErrorAtItsLine()
    {
        var json = "{\n  \"ReverseProxy\": {},\n  \"LbProxy\": {\n    \"TrustedProxies\": [\n      \"10.0.0.0/8\",\n      \"10.0.0.300\"\n    ]\n  }\n}";
        var (config, errors) = await ConfigFileParser.ParseAsync("gw.json", System.Text.Encoding.UTF8.GetBytes(json), null);
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal(6, error.Line);
        Assert.Contains("10.0.0.300", error.Problem, StringComparison.Ordinal);
    }

    /// <summary>The client address the rest of the request path (policies, rate limits) sees, after the middleware.</summary>
    private static async Task<IPAddress?> ClientAddressAsync(string[] trusted, IPAddress peer, string header)
    {
        var state = new ServiceCollection().AddLogging().AddMetrics().AddLbProxyGateway(new GatewayHostOptions())
            .BuildServiceProvider().GetRequiredService<ConfigState>();
        var proxies = TrustedProxiesRules.Bind(trusted, "LbProxy:TrustedProxies", (_, p, _) => Assert.Fail(p));
        state.Apply(new GatewayConfig([], [], new LbProxyOptions { TrustedProxies = proxies }, "test"));
        IPAddress? seen = null;
        var middleware = new ClientAddressMiddleware(c =>
        {
            seen = c.Connection.RemoteIpAddress;
            return Task.CompletedTask;
        }, state);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = peer;
        context.Request.Headers["X-Forwarded-For"] = header;
        await middleware.InvokeAsync(context);
        return seen;
    }
}
