namespace Gateway.Tests.NginxCompat;

/// <summary>
/// TLS termination (tls.conf): the same certificates, SNI names and requests under real nginx and lbproxy-nginx must
/// present the same certificate, negotiate the same HTTP version and give the same answers and backend headers.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed class TlsExampleTests
{
    [Fact]
    public async Task ListenSsl_CertificatesBySniAndScheme_SameAsNginx()
    {
        using var certificates = Tls.TestCertificates.Create();
        var a = certificates.Issue("a", "a.example.test", "a.example.test");
        var b = certificates.Issue("b", "b.example.test", "b.example.test", "*.wild.test", "wild.test");
        await using var run = await DifferentialRun.StartAsync("tls.conf");
        run.Replace("/etc/nginx/tls/a.crt", a.Certificate);
        run.Replace("/etc/nginx/tls/a.key", a.Key);
        run.Replace("/etc/nginx/tls/b.crt", b.Certificate);
        run.Replace("/etc/nginx/tls/b.key", b.Key);
        string[] backendHeaders = ["Host", "X-Forwarded-Proto", "X-Https", "Connection"];
        string[] responseHeaders = ["X-Server", "Content-Type"];

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            await send(new ProbeRequest("/plain", Listen: 1)); // the plain listen: $scheme http
        }, after: async proxy =>
        {
            var https = proxy.Ports[0];
            var seen = new List<string>();
            foreach (var sni in new[] { "a.example.test", "b.example.test", "x.wild.test", "deep.x.wild.test", "wild.test", "unknown.test", null })
            {
                foreach (var path in new[] { "/", "/text" })
                {
                    seen.Add(await TlsProbe.SendAsync(certificates.CaPath, https, sni, path, null, responseHeaders, backendHeaders));
                }
            }

            // ALPN: the ssl socket has http2, so a client offering h2 gets HTTP/2 for both servers.
            seen.Add(await TlsProbe.SendAsync(certificates.CaPath, https, "a.example.test", "/h2", System.Net.HttpVersion.Version20, responseHeaders, backendHeaders));
            seen.Add(await TlsProbe.SendAsync(certificates.CaPath, https, "b.example.test", "/text", System.Net.HttpVersion.Version20, responseHeaders, backendHeaders));
            return seen;
        });

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Contains(nginx, o => o.StartsWith("b.example.test /: 200 HTTP/1.1 cert=b.example.test", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.StartsWith("a.example.test /h2: 200 HTTP/2.0 cert=a.example.test", StringComparison.Ordinal));
    }
}
