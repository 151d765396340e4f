using System.Text;
using Gateway.Config;
using Gateway.LoadBalancing;

namespace Gateway.Tests.Config;

public class FleetSectionTests
{
    private const string WithFleet = """
        {
          "ReverseProxy": {
            "Routes": {
              "predict": { "ClusterId": "models", "Match": { "Path": "/predict" } },
              "other": { "ClusterId": "static", "Match": { "Path": "/{**rest}" } }
            },
            "Clusters": {
              "static": { "Destinations": { "s1": { "Address": "http://127.0.0.1:5001" } } }
            }
          },
          "LbProxy": {
            "Fleet": { "ClusterId": "models", "Workers": 2, "Autoscale": { "MinReplicas": 1, "MaxReplicas": 3 } }
          }
        }
        """;

    private static Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> Parse(string json) =>
        ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

    [Fact]
    public async Task Parse_FleetSection_CreatesAdaptiveClusterBesideOrdinaryOnes()
    {
        var (config, errors) = await Parse(WithFleet);
        Assert.Empty(errors);
        var fleet = config!.Options.Fleet!;
        Assert.Equal(2, fleet.Workers);
        Assert.Equal(3, fleet.Autoscale.MaxReplicas);
        var cluster = Assert.Single(config.Clusters, c => c.ClusterId == "models");
        Assert.Equal(LoadBalancingPolicyNames.Adaptive, cluster.LoadBalancingPolicy);
        Assert.True(cluster.HealthCheck!.Active!.Enabled);
        Assert.Equal("/ready", cluster.HealthCheck.Active.Path);
        Assert.Empty(cluster.Destinations!);
        Assert.Contains(config.Clusters, c => c.ClusterId == "static");
    }

    [Theory]
    [InlineData("\"Workers\": 2", "\"Workers\": 0", "LbProxy.Fleet.Workers is 0")]
    [InlineData("\"MinReplicas\": 1, \"MaxReplicas\": 3", "\"MinReplicas\": 5, \"MaxReplicas\": 3", "LbProxy.Fleet.Autoscale.MaxReplicas is 3")]
    [InlineData("\"Workers\": 2", "\"Workers\": 2, \"Model\": \"/nope.onnx\"", "LbProxy.Fleet.Model is /nope.onnx")]
    [InlineData("\"Workers\": 2", "\"Wrokers\": 2", "could not be mapped")]
    public async Task Parse_BadFleetValue_NamesItAndTheFix(string find, string replace, string problem)
    {
        var (config, errors) = await Parse(WithFleet.Replace(find, replace, StringComparison.Ordinal));
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(12, error.Line);
    }
}
