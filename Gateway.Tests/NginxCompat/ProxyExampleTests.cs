namespace Gateway.Tests.NginxCompat;

/// <summary>What the backend receives (headers, URI) under real nginx and lbproxy-nginx.</summary>
[Collection(NginxDifferential.Name)]
public sealed class ProxyExampleTests
{
    [Fact]
    public async Task ProxyHeaders_DefaultsInheritedAndVariables_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("proxy-headers.conf", backendHeaders:
            ["Host", "Connection", "X-From-Http", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request", "X-Cookie",
                "User-Agent", "Accept", "Keep-Alive", "Upgrade"]);

        (string, string)[] client = [("User-Agent", "probe/1"), ("Accept", "application/json"), ("X-Forwarded-For", "198.51.100.7"),
            ("Cookie", "a=1; session=s3cr3t"), ("Keep-Alive", "timeout=5")];
        await run.AssertSameAsync(
            new ProbeRequest("/default/x?q=1", Headers: client),
            new ProbeRequest("/inherited/y", Host: "inherit.test", Headers: client),
            new ProbeRequest("/own/z%20z?a=b%20c&a=2", Host: "own.test:8443", Headers: client),
            new ProbeRequest("/own/z", Headers: [("Accept", "*/*")]),
            new ProbeRequest("/http-host/w", Host: "host.test:1234"),
            new ProbeRequest("/literal/v"));
    }

    /// <summary>nginx passes a header value's bytes beyond ASCII on as they came; the gateway answered such a request 502.</summary>
    [Fact]
    public async Task NonAsciiHeaderValue_PassedOnAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("proxy-headers.conf", backendHeaders: ["X-Name", "X-Forwarded-For"]);

        await run.AssertSameAsync(
            new ProbeRequest("/default/n", Headers: [("X-Name", "caf\u00e9 \u65e5\u672c")]),
            new ProbeRequest("/own/n", Headers: [("X-Name", "Jos\u00e9"), ("X-Forwarded-For", "198.51.100.7")]));
    }

    [Fact]
    public async Task UriReplacement_WithAndWithoutUriPart_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("uri-replacement.conf");

        string[] targets =
        [
            "/as-is/a/b?x=1", "/as-is/%7Euser/a%20b", "/as-is//double//slash", "/swap/a/b?x=1", "/swap/", "/swap/a%20b",
            "/trim/deep/path?k=v", "/noslash", "/noslash/more", "/noslashes", "/exact", "/exact?x=1", "/users/42/profile",
            "/users/42/profile?z=9",
        ];
        await run.AssertSameAsync([.. targets.Select(t => new ProbeRequest(t))]);
    }

    [Fact]
    public async Task RealIp_TrustedForwardedFor_ClientAddressAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("realip.conf", backendHeaders: ["X-Real-IP", "X-Forwarded-For"]);

        string[] chains = ["203.0.113.5", "198.51.100.1, 10.1.2.3", "192.0.2.44, 10.0.0.9, 127.0.0.1", "not-an-ip", "", "10.9.9.9"];
        await run.AssertSameAsync([
            .. chains.Select(c => new ProbeRequest("/addr", Headers: c.Length > 0 ? [("X-Forwarded-For", c)] : null)),
            .. chains.SelectMany(c => Enumerable.Range(0, 2).Select(i => new ProbeRequest($"/p{i}", Headers: c.Length > 0 ? [("X-Forwarded-For", c)] : null))),
            .. Enumerable.Range(0, 20).Select(i => new ProbeRequest($"/h{i}", Headers: [("X-Forwarded-For", $"198.{i}.{i * 3}.7")]))]);
    }

    [Fact]
    public async Task Keepalive_ConnectionsReusedOnlyAsNginx_SameCountsAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("keepalive.conf", backendHeaders: ["Connection"]);

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var location in new[] { "/pooled/", "/unpooled/", "/closing/" })
            {
                for (var i = 0; i < 6; i++)
                {
                    await send(new ProbeRequest($"{location}{i}"));
                }
            }
        }, reset: () =>
        {
            foreach (var b in run.Backends)
            {
                b.ResetConnections();
            }
        }, after: _ => Task.FromResult(run.Backends.Select(b => $"{b.Name}: {b.Connections} connection(s)")));

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Contains("b0: 1 connection(s)", nginx); // the test tells reuse apart: six requests, one connection
    }
}
