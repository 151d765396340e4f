using System.Text;
using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tls;

/// <summary>A bad TLS setting is an error at its line in the config file, naming the PEM file and what is wrong with it.</summary>
public class TlsConfigTests
{
    private static async Task<IReadOnlyList<ConfigError>> ErrorsAsync(string folder, string json)
    {
        var path = Path.Combine(folder, "gateway.json");
        await File.WriteAllTextAsync(path, json);
        var (config, errors) = await ConfigFileParser.ParseAsync(path, Encoding.UTF8.GetBytes(json), yarpValidator: null);
        Assert.Null(config);
        return errors;
    }

    private static int LineOf(string json, string text) =>
        json[..json.IndexOf(text, StringComparison.Ordinal)].Count(c => c == '\n') + 1;

    [Fact]
    public async Task Listener_KeyOfAnotherCertificate_ErrorNamesFileLineAndPem()
    {
        using var certificates = TestCertificates.Create();
        var one = certificates.Issue("one", "one.test", "one.test");
        var two = certificates.Issue("two", "two.test", "two.test");
        var json = ConfigJson.WithLbProxy(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", "http://127.0.0.1:1")], activeHealth: false),
            "Listeners", System.Text.Json.Nodes.JsonNode.Parse($$"""
                [ { "Url": "https://127.0.0.1:0", "Certificates": [ { "Certificate": "one.pem", "Key": "two.key" } ] } ]
                """)!);

        var error = Assert.Single(await ErrorsAsync(certificates.Folder, json));
        Assert.Equal(Path.Combine(certificates.Folder, "gateway.json"), error.File);
        Assert.Equal(LineOf(json, "\"Certificate\": \"one.pem\""), error.Line);
        Assert.Contains(one.Certificate, error.Problem, StringComparison.Ordinal);
        Assert.Contains(two.Key, error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Url": "https://127.0.0.1:0" }""", "Url", "no certificate")]
    [InlineData("""{ "Url": "https://example.com:443", "Certificates": [] }""", "Url", "not an IP address")]
    [InlineData("""{ "Url": "http://127.0.0.1:0", "TlsProtocols": [ "Tls11" ] }""", "TlsProtocols", "TLS 1.2 and 1.3")]
    [InlineData("""{ "Url": "https://127.0.0.1:0", "Certificates": [ { "Certificate": "missing.pem", "Key": "missing.key" } ] }""", "Certificate", "does not exist")]
    public async Task Listener_BadSetting_ErrorAtItsLine(string listener, string property, string problem)
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-tls-config-").FullName;
        try
        {
            var json = ConfigJson.WithLbProxy(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", "http://127.0.0.1:1")], activeHealth: false),
                "Listeners", System.Text.Json.Nodes.JsonNode.Parse($"[ {listener} ]")!);
            var error = Assert.Single(await ErrorsAsync(folder, json));
            Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
            Assert.Equal(LineOf(json, $"\"{property}\""), error.Line);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Cluster_CaFileThatIsNotPem_ErrorAtItsMetadataLine()
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-tls-config-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "ca.pem"), "not a certificate");
            var json = ConfigJson.Edit(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", "https://127.0.0.1:1")], activeHealth: false),
                root => root["ReverseProxy"]!["Clusters"]!["backends"]!["Metadata"] = new System.Text.Json.Nodes.JsonObject { ["TlsCaFile"] = "ca.pem" });
            var error = Assert.Single(await ErrorsAsync(folder, json));
            Assert.Equal(LineOf(json, "\"TlsCaFile\""), error.Line);
            Assert.Contains(Path.Combine(folder, "ca.pem"), error.Problem, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
