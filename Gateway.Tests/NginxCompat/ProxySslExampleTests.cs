namespace Gateway.Tests.NginxCompat;

/// <summary>
/// proxy_pass https:// (proxy-ssl.conf) against real HTTPS Kestrel backends: which requests reach the backend, which
/// are 502 for a certificate that does not verify, and the client certificate the backend saw, as under nginx.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed class ProxySslExampleTests
{
    [Fact]
    public async Task ProxyPassHttps_VerifyNamesAndClientCertificate_SameAsNginx()
    {
        using var certificates = Tls.TestCertificates.Create();
        using var otherCa = Tls.TestCertificates.Create("Another CA");
        await using var secure = await TlsEchoBackend.StartAsync("secure", certificates.Issue("secure", "secure", "secure"), certificates.CaPath);
        await using var named = await TlsEchoBackend.StartAsync("named", certificates.Issue("named", "api.internal", "api.internal"), certificates.CaPath);
        var client = certificates.Issue("client", "gateway-client", "gateway-client");
        await using var run = await DifferentialRun.StartAsync("proxy-ssl.conf", backendHeaders: ["Host", "Connection", "X-Tls-Client"]);
        run.Replace("secure-a:8443", secure.Address);
        run.Replace("secure-b:8443", named.Address);
        run.Replace("/etc/nginx/tls/ca.pem", certificates.CaPath);
        run.Replace("/etc/nginx/tls/other-ca.pem", otherCa.CaPath);
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
