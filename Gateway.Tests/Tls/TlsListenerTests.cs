using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tls;

/// <summary>
/// https listeners through the real gateway, checked with real clients (curl, openssl s_client) and certificates the
/// test makes: SNI picks the certificate, ALPN offers h2, a certificate replaced on disk is served without a restart,
/// and TLS 1.1 is refused.
/// </summary>
public class TlsListenerTests
{
    private static string Config(TestBackend backend, params (string Certificate, string Key, string[] Hosts)[] certificates)
    {
        var list = new JsonArray();
        foreach (var (certificate, key, hosts) in certificates)
        {
            var entry = new JsonObject { ["Certificate"] = certificate, ["Key"] = key };
            if (hosts.Length > 0)
            {
                entry["Hosts"] = new JsonArray([.. hosts.Select(h => (JsonNode)h)]);
            }

            list.Add(entry);
        }

        var listeners = new JsonArray
        {
            new JsonObject { ["Url"] = "https://127.0.0.1:0", ["Certificates"] = list, ["CertificateCheckSeconds"] = 0.2 },
        };
        return ConfigJson.WithLbProxy(
            ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [(backend.Name, backend.Url)], resilience: new JsonObject(), activeHealth: false),
            "Listeners", listeners);
    }

    private static int Port(GatewayUnderTest gateway)
    {
        var url = gateway.Host.ProxyUrls.Single();
        Assert.StartsWith("https://", url, StringComparison.Ordinal);
        return new Uri(url).Port;
    }

    /// <summary>The subject CN of the certificate the gateway sends for <paramref name="serverName"/>, as openssl s_client reports it.</summary>
    private static async Task<string> PeerCommonNameAsync(int port, string serverName, params string[] extra)
    {
        var (exit, output) = await ExternalTool.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", serverName, .. extra]);
        Assert.True(exit == 0, $"openssl s_client failed ({exit}):\n{output}");
        var line = output.Split('\n').First(l => l.StartsWith("subject=", StringComparison.Ordinal));
        return line[(line.IndexOf("CN", StringComparison.Ordinal) + 2)..].Trim(' ', '=', '\r');
    }

    [Fact]
    public async Task HttpsListener_SniName_ChoosesItsCertificate()
    {
        using var certificates = TestCertificates.Create();
        var a = certificates.Issue("a", "a.test", "a.test");
        var b = certificates.Issue("b", "b.test", "b.test");
        var wildcard = certificates.Issue("w", "wildcard.test", "*.w.test");
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"],
            (a.Certificate, a.Key, []), (b.Certificate, b.Key, []), (wildcard.Certificate, wildcard.Key, [])));
        var port = Port(gateway);

        Assert.Equal("a.test", await PeerCommonNameAsync(port, "a.test"));
        Assert.Equal("b.test", await PeerCommonNameAsync(port, "b.test"));
        Assert.Equal("wildcard.test", await PeerCommonNameAsync(port, "x.w.test"));
        Assert.Equal("a.test", await PeerCommonNameAsync(port, "unknown.test")); // the first certificate is the default

        // curl verifies the chain against the test CA and the name, negotiates h2 by ALPN, and gets the backend's answer.
        var (exit, output) = await ExternalTool.RunAsync("curl", "-sS", "--cacert", certificates.CaPath, "--resolve", $"b.test:{port}:127.0.0.1",
            "-w", "\n%{http_version} %{http_code}", $"https://b.test:{port}/hello");
        Assert.True(exit == 0, $"curl failed ({exit}): {output}");
        Assert.Equal("a\n2 200", output.Trim());

        // And HTTP/1.1 when the client offers only that.
        (exit, output) = await ExternalTool.RunAsync("curl", "-sS", "--http1.1", "--cacert", certificates.CaPath, "--resolve", $"a.test:{port}:127.0.0.1",
            "-w", "\n%{http_version} %{http_code}", $"https://a.test:{port}/");
        Assert.True(exit == 0, $"curl failed ({exit}): {output}");
        Assert.Equal("a\n1.1 200", output.Trim());
    }

    [Fact]
    public async Task HttpsListener_CertificateReplacedOnDisk_ServedWithoutRestart()
    {
        using var certificates = TestCertificates.Create();
        var first = certificates.Issue("site", "first.test", "site.test");
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], (first.Certificate, first.Key, [])));
        var port = Port(gateway);
        Assert.Equal("first.test", await PeerCommonNameAsync(port, "site.test"));

        certificates.Issue("site", "second.test", "site.test"); // same files, new certificate and key
        var served = "";
        for (var i = 0; i < 50 && served != "second.test"; i++)
        {
            await Task.Delay(200);
            served = await PeerCommonNameAsync(port, "site.test");
        }

        Assert.Equal("second.test", served);
        using var client = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        using var response = await client.GetAsync($"https://127.0.0.1:{port}/");
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HttpsListener_Tls11Client_Refused_Tls12And13Accepted()
    {
        using var certificates = TestCertificates.Create();
        var site = certificates.Issue("site", "site.test", "site.test");
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], (site.Certificate, site.Key, [])));
        var port = Port(gateway);

        // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all, so a failure is the gateway's refusal.
        var (exit, output) = await ExternalTool.RunAsync("openssl", "s_client", "-connect", $"127.0.0.1:{port}", "-servername", "site.test",
            "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
        Assert.NotEqual(0, exit);
        Assert.Contains("alert protocol version", output, StringComparison.Ordinal);

        Assert.Equal("site.test", await PeerCommonNameAsync(port, "site.test", "-tls1_2"));
        Assert.Equal("site.test", await PeerCommonNameAsync(port, "site.test", "-tls1_3"));
    }

    [Fact]
    public async Task HttpsListener_PlainHttpRequest_400ProblemNamingHttpsAndClosed()
    {
        using var certificates = TestCertificates.Create();
        var site = certificates.Issue("site", "site.test", "site.test");
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], (site.Certificate, site.Key, [])));
        var port = Port(gateway);

        // curl's plain http:// to the TLS port: answered (not a failed handshake), and the port still speaks TLS after it.
        var (exit, output) = await ExternalTool.RunAsync("curl", "-sS", "-i", $"http://127.0.0.1:{port}/models/x?y=1");
        Assert.True(exit == 0, $"curl failed ({exit}): {output}");
        Assert.StartsWith("HTTP/1.1 400", output, StringComparison.Ordinal);
        Assert.Contains("Connection: close", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("application/problem+json", output, StringComparison.Ordinal);
        Assert.Contains("https://127.0.0.1:" + port + "/models/x?y=1", output, StringComparison.Ordinal);
        Assert.Equal(0, backends["a"].Hits);

        Assert.Equal("site.test", await PeerCommonNameAsync(port, "site.test"));
    }
}
