using System.Text;
using Gateway.Config;
using Gateway.Discovery;

namespace Gateway.Tests.Discovery;

public sealed class DiscoverySectionTests
{
    private const string WithDiscovery = """
        {
          "ReverseProxy": {
            "Routes": { "predict": { "ClusterId": "models", "Match": { "Path": "/{**rest}" } } },
            "Clusters": {
              "models": { "LoadBalancingPolicy": "Adaptive" },
              "dns": { }
            }
          },
          "LbProxy": {
            "Discovery": {
              "models": { "Source": "EndpointSlice", "Service": "lbproxy-worker", "PortName": "http" },
              "dns": { "Source": "Dns", "Host": "lbproxy-worker.lbproxy.svc.cluster.local", "Port": 8000, "RefreshSeconds": 2 }
            }
          }
        }
        """;

    private static Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> Parse(string json) =>
        ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

    [Fact]
    public async Task Parse_DiscoverySection_ClustersWithoutDestinationsAreValid()
    {
        var (config, errors) = await Parse(WithDiscovery);

        Assert.Empty(errors);
        var models = config!.Options.Discovery["models"];
        Assert.Equal(DiscoverySource.EndpointSlice, models.Source);
        Assert.Equal("lbproxy-worker", models.Service);
        Assert.Equal("http", models.PortName);
        var dns = config.Options.Discovery["dns"];
        Assert.Equal(DiscoverySource.Dns, dns.Source);
        Assert.Equal(TimeSpan.FromSeconds(2), dns.RefreshPeriod);
    }

    [Fact]
    public async Task Parse_TheKubernetesBaseConfig_IsValid()
    {
        var path = Path.Combine(K8s.Repository.Root, "k8s", "base", "gateway.json");

        var (config, errors) = await ConfigFileParser.LoadAsync(path, yarpValidator: null);

        Assert.Empty(errors);
        Assert.Equal(DiscoverySource.EndpointSlice, config!.Options.Discovery["models"].Source);
    }

    [Theory]
    [InlineData("\"Port\": 8000, ", "", 12, "LbProxy.Discovery.dns.Port is missing")]
    [InlineData("\"Host\": \"lbproxy-worker.lbproxy.svc.cluster.local\"", "\"Host\": \"not a host\"", 12, "LbProxy.Discovery.dns.Host is 'not a host'")]
    [InlineData("\"Service\": \"lbproxy-worker\", ", "", 11, "LbProxy.Discovery.models.Service is missing")]
    [InlineData("\"PortName\": \"http\"", "\"PortName\": \"http\", \"ApiServer\": \"ftp://x\"", 11, "ApiServer is 'ftp://x'")]
    [InlineData("\"RefreshSeconds\": 2", "\"RefreshSeconds\": 0", 12, "RefreshSeconds is 0")]
    [InlineData("\"Source\": \"Dns\"", "\"Source\": \"Consul\"", 12, "could not be converted")]
    [InlineData("\"PortName\": \"http\"", "\"PortNmae\": \"http\"", 11, "could not be mapped")]
    [InlineData("\"dns\": { }", "\"other\": { \"Destinations\": { \"d\": { \"Address\": \"http://127.0.0.1:1\" } } }", 12, "cluster 'dns', which is not defined")]
    public async Task Parse_BadDiscoveryValue_NamesFileLineAndFix(string find, string replace, int line, string problem)
    {
        var (config, errors) = await Parse(WithDiscovery.Replace(find, replace, StringComparison.Ordinal));

        Assert.Null(config);
        var error = Assert.Single(errors); // and no "cluster has no destinations" besides it
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal("gw.json", error.File);
        Assert.Equal(line, error.Line);
        Assert.False(string.IsNullOrWhiteSpace(error.Fix));
    }

    [Fact]
    public async Task Parse_DiscoveryOfTheFleetCluster_IsAnError()
    {
        var json = WithDiscovery.Replace("\"Discovery\": {", "\"Fleet\": { \"ClusterId\": \"models\" }, \"Discovery\": {", StringComparison.Ordinal);

        var (config, errors) = await Parse(json);

        Assert.Null(config);
        Assert.Contains(errors, e => e.Problem.Contains("fed by the local fleet", StringComparison.Ordinal) && e.Line == 11);
    }
}
