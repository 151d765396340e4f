namespace Gateway.Tests.NginxCompat;

/// <summary>
/// proxy_pass https:// (proxy-ssl.conf) against real HTTPS Kestrel backends: which requests reach the backend, which
/// are 502 for a certificate that does not verify, and the client certificate the backend saw, as under nginx.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed class ProxySslExampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nginx-proxy-ssl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ProxyPassHttps_VerifyNamesAndClientCertificate_SameAsNginx()
    {
        using var certificates = new TestCertificates(_dir);
        var otherDir = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        using var otherCa = new TestCertificates(otherDir, "Another CA");
        await using var secure = await TlsEchoBackend.StartAsync("secure", certificates.Issue("secure", "secure", "127.0.0.1"), certificates.CaFile);
        await using var named = await TlsEchoBackend.StartAsync("named", certificates.Issue("named", "api.internal"), certificates.CaFile);
        var client = certificates.Issue("client", "gateway-client");
        await using var run = await DifferentialRun.StartAsync("proxy-ssl.conf", backendHeaders: ["Host", "Connection", "X-Tls-Client"]);
        run.Replace("secure-a:8443", secure.Address);
        run.Replace("secure-b:8443", named.Address);
        run.Replace("/etc/nginx/tls/ca.pem", certificates.CaFile);
        run.Replace("/etc/nginx/tls/other-ca.pem", otherCa.CaFile);
        run.Replace("/etc/nginx/tls/client.crt", client.Certificate);
        run.Replace("/etc/nginx/tls/client.key", client.Key);

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var path in new[] { "/off/a", "/verify/b?x=1", "/depth0/c", "/other-ca/d", "/wrong-name/e", "/named/f", "/host-header/g", "/client/h" })
            {
                await send(new ProbeRequest(path));
                await send(new ProbeRequest(path)); // a second request: the same answer on a reused or a new connection
            }
        });

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Contains(nginx, o => o.StartsWith("200 secure GET /client/h", StringComparison.Ordinal) && o.Contains("X-Tls-Client=[gateway-client]", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.StartsWith("502 ", StringComparison.Ordinal));
    }
}
