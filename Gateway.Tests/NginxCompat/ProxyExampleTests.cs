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
}
