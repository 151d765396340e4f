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
            await send(new ProbeRequest("/ssl", Listen: 1)); // and no ssl variables
        }, after: async proxy =>
        {
            var https = proxy.Ports[0];
            var seen = new List<string>();
            foreach (var sni in new[] { "a.example.test", "b.example.test", "x.wild.test", "deep.x.wild.test", "wild.test", "unknown.test", null })
            {
                foreach (var path in new[] { "/", "/text", "/ssl" })
                {
                    seen.Add(await TlsProbe.SendAsync(certificates.CaPath, https, sni, path, null, responseHeaders, backendHeaders));
                }
            }

            // ALPN: the ssl socket has http2, so a client offering h2 gets HTTP/2 for both servers.
            seen.Add(await TlsProbe.SendAsync(certificates.CaPath, https, "a.example.test", "/h2", System.Net.HttpVersion.Version20, responseHeaders, backendHeaders));
            seen.Add(await TlsProbe.SendAsync(certificates.CaPath, https, "b.example.test", "/text", System.Net.HttpVersion.Version20, responseHeaders, backendHeaders));
            seen.Add(await TlsProbe.SendAsync(certificates.CaPath, https, "a.example.test", "/ssl", System.Net.HttpVersion.Version20, responseHeaders, backendHeaders));

            // Plain HTTP to the ssl socket: nginx's 400 page (its 497), or server b's error_page 497 redirect; then closed.
            foreach (var host in new[] { "a.example.test", "b.example.test", "unknown.test" })
            {
                await using var plain = await RawHttp.ConnectAsync(https);
                await plain.SendGetAsync("/x?y=1", host);
                var answer = await plain.ReadResponseAsync("Location", "Connection", "Content-Type");
                var page = answer is { } a ? System.Text.RegularExpressions.Regex.Replace(a.Body, "<hr><center>[^<]*</center>", "<hr>") : "";
                seen.Add($"plain to ssl socket, Host {host}: {answer?.Status} {string.Join(" ", answer?.Headers.OrderBy(h => h.Key).Select(h => $"{h.Key}=[{h.Value}]") ?? [])} "
                    + $"{System.Text.Json.JsonSerializer.Serialize(page)} closed={await plain.ClosedAsync()}");
            }

            return seen;
        });

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.Contains(nginx, o => o.StartsWith("b.example.test /: 200 HTTP/1.1 cert=b.example.test", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.StartsWith("a.example.test /h2: 200 HTTP/2.0 cert=a.example.test", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.StartsWith("plain to ssl socket, Host a.example.test: 400 Connection=[close]", StringComparison.Ordinal)
            && o.Contains("The plain HTTP request was sent to HTTPS port", StringComparison.Ordinal) && o.EndsWith("closed=True", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.StartsWith("plain to ssl socket, Host b.example.test: 301 Connection=[close] Content-Type=[text/html] Location=[https://b.example.test/x?y=1]", StringComparison.Ordinal));
        Assert.Contains(nginx, o => o.Contains("/ssl: 200", StringComparison.Ordinal) && o.Contains("TLSv1.3 TLS_AES_", StringComparison.Ordinal));
    }
}
