using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tls;

/// <summary>TLS from the gateway to https:// destinations: verified by default, trusted through a CA bundle, with a client certificate.</summary>
public class UpstreamTlsTests
{
    private static string Config(string backendUrl, params (string Key, string Value)[] metadata) =>
        ConfigJson.Edit(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("tls", backendUrl)],
            resilience: new JsonObject(), activeHealth: false), root =>
        {
            var cluster = root["ReverseProxy"]!["Clusters"]!["backends"]!.AsObject();
            var entries = new JsonObject();
            foreach (var (key, value) in metadata)
            {
                entries[key] = value;
            }

            cluster["Metadata"] = entries;
        });

    [Fact]
    public async Task HttpsDestination_UnknownCa_Fails_CaBundle_Passes_ClientCertificate_Sent()
    {
        using var certificates = TestCertificates.Create("Backend CA");
        var server = certificates.Issue("backend", "backend.test", "localhost");
        var client = certificates.Issue("client", "gateway-client");
        await using var backend = await TlsBackend.StartAsync(server.Certificate, server.Key, requireClientCertificate: false);
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend.Url));

        // The test CA is in no system store: the handshake fails, the request never reaches the backend.
        using (var refused = await gateway.Proxy.GetAsync("/"))
        {
            Assert.True(refused.StatusCode == System.Net.HttpStatusCode.BadGateway, $"{refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
            Assert.Equal(0, backend.Hits);
        }

        // Relative to the config file's folder, as the README says.
        File.Copy(certificates.CaPath, Path.Combine(gateway.Folder, "backend-ca.pem"));
        await gateway.RewriteConfigAsync(Config(backend.Url, ("TlsCaFile", "backend-ca.pem")));
        Assert.Equal("tls:none", await gateway.Proxy.GetStringAsync("/"));

        await using var mutual = await TlsBackend.StartAsync(server.Certificate, server.Key, requireClientCertificate: true);
        await gateway.RewriteConfigAsync(Config(mutual.Url, ("TlsCaFile", certificates.CaPath),
            ("TlsClientCertificate", client.Certificate), ("TlsClientKey", client.Key)));
        Assert.Equal("tls:CN=gateway-client", await gateway.Proxy.GetStringAsync("/"));
    }

    [Fact]
    public async Task HttpsDestination_CertificateForAnotherName_Fails_EvenWithItsCa()
    {
        using var certificates = TestCertificates.Create("Backend CA");
        var server = certificates.Issue("backend", "elsewhere.test", "elsewhere.test");
        await using var backend = await TlsBackend.StartAsync(server.Certificate, server.Key, requireClientCertificate: false);
        // The backend listens on 127.0.0.1; address it as localhost, a name its certificate does not hold (its SAN has 127.0.0.1).
        var url = backend.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        await using var gateway = await GatewayUnderTest.StartAsync(Config(url, ("TlsCaFile", certificates.CaPath)));

        using var response = await gateway.Proxy.GetAsync("/");
        Assert.Equal(System.Net.HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(0, backend.Hits);
    }
}
