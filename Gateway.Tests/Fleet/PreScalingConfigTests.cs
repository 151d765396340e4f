using System.Text;
using Gateway.Config;

namespace Gateway.Tests.Fleet;

public class PreScalingConfigTests
{
    private const string WithPreScale = """
        {
          "ReverseProxy": { "Routes": { "predict": { "ClusterId": "models", "Match": { "Path": "/predict" } } } },
          "LbProxy": {
            "Fleet": {
              "ClusterId": "models", "Workers": 2,
              "Autoscale": {
                "MinReplicas": 1, "MaxReplicas": 8,
                "PreScale": {
                  "LeadSeconds": 900,
                  "Profile": [ { "At": "09:00", "MinReplicas": 6 }, { "At": "18:30", "MinReplicas": 2 } ],
                  "LearnDays": 7, "ReplicaRps": 150, "TimeZone": "Europe/Berlin"
                }
              }
            }
          }
        }
        """;

    private static Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> Parse(string json) =>
        ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

    [Fact]
    public async Task Parse_PreScale_BindsProfileAndLearning()
    {
        var (config, errors) = await Parse(WithPreScale);
        Assert.Empty(errors);
        var preScale = config!.Options.Fleet!.Autoscale.PreScale!;
        Assert.Equal(900, preScale.LeadSeconds);
        Assert.Equal(new Gateway.Fleet.PreScalePoint("18:30", 2), preScale.Profile[1]);
        Assert.Equal(7, preScale.LearnDays);
        Assert.Equal(150, preScale.ReplicaRps);
    }

    [Theory]
    [InlineData("\"At\": \"09:00\"", "\"At\": \"9am\"", "PreScale.Profile.0.At is 9am", 10)]
    [InlineData("\"MinReplicas\": 6", "\"MinReplicas\": 9", "PreScale.Profile.0.MinReplicas is 9; it must be an integer from 1 to MaxReplicas (8)", 10)]
    [InlineData("\"ReplicaRps\": 150", "\"ReplicaRps\": 0", "PreScale.ReplicaRps is 0", 11)]
    [InlineData("\"Europe/Berlin\"", "\"Mars/Olympus\"", "PreScale.TimeZone is Mars/Olympus", 11)]
    [InlineData("\"LeadSeconds\": 900", "\"LeadSeconds\": -1", "PreScale.LeadSeconds is -1", 9)]
    public async Task Parse_BadPreScaleValue_NamesItWhereItIs(string find, string replace, string problem, int line)
    {
        var (config, errors) = await Parse(WithPreScale.Replace(find, replace, StringComparison.Ordinal));
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
    }
}
