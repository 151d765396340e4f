using System.Net;
using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Gateway.Tls;

namespace Gateway.Tests.Tls;

/// <summary>
/// <c>--h2c-urls</c> as HTTP/2-only LbProxy.Listeners entries (Tls/UrlListeners), beside <c>--urls</c> or beside the config's
/// own listeners: each reports the port the OS gave it (GatewayHost.H2cUrls, the banner), speaks HTTP/2 with prior
/// knowledge and nothing else, and the ordinary URLs stay HTTP/1.1.
/// </summary>
public sealed class H2cListenerTests
{
    private static async Task<(GatewayHost Host, string Folder)> StartAsync(TestBackend backend, bool configListeners)
    {
        var json = ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [(backend.Name, backend.Url)], resilience: new JsonObject(), activeHealth: false);
        if (configListeners)
        {
            json = ConfigJson.WithLbProxy(json, "Listeners", new JsonArray { new JsonObject { ["Url"] = "http://127.0.0.1:0" } });
        }

        var folder = Directory.CreateTempSubdirectory("lbproxy-h2c-").FullName;
        var path = Path.Combine(folder, "gateway.json");
        await File.WriteAllTextAsync(path, json);
        var host = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            ConfigPath = path,
            Urls = ["http://127.0.0.1:0"],
            H2cUrls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
        });
        return (host, folder);
    }

    private static async Task<HttpResponseMessage> GetAsync(string url, Version version)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/hello") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task H2cUrls_BesideUrlsOrConfigListeners_ReportTheirPortAndSpeakHttp2Only(bool configListeners)
    {
        await using var backends = await Backends.StartAsync(1);
        var (host, folder) = await StartAsync(backends["a"], configListeners);
        try
        {
            var h2c = Assert.Single(host.H2cUrls);
            var http = Assert.Single(host.ProxyUrls);
            Assert.NotEqual(0, new Uri(h2c).Port);
            Assert.NotEqual(new Uri(http).Port, new Uri(h2c).Port);

            using (var response = await GetAsync(h2c, HttpVersion.Version20))
            {
                Assert.Equal(HttpVersion.Version20, response.Version);
                Assert.Equal("a", await response.Content.ReadAsStringAsync());
            }

            using (var response = await GetAsync(http, HttpVersion.Version11))
            {
                Assert.Equal("a", await response.Content.ReadAsStringAsync());
            }

            // The h2c port is HTTP/2 only: Kestrel answers an HTTP/1.1 request there with 400 and never routes it.
            using (var response = await GetAsync(h2c, HttpVersion.Version11))
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.NotEqual("a", await response.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            await host.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Problems_HttpsHostNameOrNoPort_EachNamedWithItsOption()
    {
        var problems = UrlListeners.Problems(["https://127.0.0.1:8443", "http://127.0.0.1:8080"], ["https://127.0.0.1:8081", "http://grpc.example:8082", "http://127.0.0.1"]);

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("--h2c-urls https://127.0.0.1:8081: h2c is cleartext", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--h2c-urls http://grpc.example:8082: 'grpc.example' is not an IP address", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--h2c-urls http://127.0.0.1: it needs a port", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--urls https://127.0.0.1:8443: beside --h2c-urls an https URL needs its certificate", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_H2cUrlThatCannotBeBound_IsACommandLineError()
    {
        Assert.Null(CommandLine.Parse(["--h2c-urls", "https://127.0.0.1:8081"], out var error));

        Assert.StartsWith("--h2c-urls https://127.0.0.1:8081: h2c is cleartext HTTP/2", error, StringComparison.Ordinal);
    }
}
