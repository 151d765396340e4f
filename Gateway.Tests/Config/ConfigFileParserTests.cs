using System.Text;
using Gateway.Config;

namespace Gateway.Tests.Config;

public class ConfigFileParserTests
{
    private const string Valid = """
        {
          "Logging": { "LogLevel": { "Default": "Information" } },
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
            "Clusters": {
              "c": {
                "LoadBalancingPolicy": "weighted",
                "Destinations": {
                  "d1": { "Address": "http://127.0.0.1:5001", "Metadata": { "Weight": 5 } },
                  "d2": { "Address": "http://127.0.0.1:5002" }
                }
              }
            }
          },
          "LbProxy": { "Adaptive": { "DecayTimeSeconds": 5 } }
        }
        """;

    private static Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> Parse(string json) =>
        ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

    [Fact]
    public async Task Parse_ValidFile_BindsYarpModelAndOptions()
    {
        var (config, errors) = await Parse(Valid);
        Assert.Empty(errors);
        var cluster = Assert.Single(config!.Clusters);
        Assert.Equal("c", cluster.ClusterId);
        Assert.Equal("Weighted", cluster.LoadBalancingPolicy); // canonical spelling
        Assert.Equal("5", cluster.Destinations!["d1"].Metadata!["Weight"]); // a JSON number is accepted
        Assert.Equal("r", Assert.Single(config.Routes).RouteId);
        Assert.Equal(5, config.Options.Adaptive.DecayTimeSeconds);
    }

    [Fact]
    public async Task Parse_SyntaxError_NamesLineAndColumn()
    {
        var (config, errors) = await Parse("{\n  \"ReverseProxy\": {\n    \"Clusters\": { \"c\": } }\n}");
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal(3, error.Line);
        Assert.StartsWith("gw.json:3:", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("invalid JSON", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"LoadBalancingPolicy\": \"weighted\"", "\"LoadBalancingPolicy\": \"Fastest\"", 7, "LoadBalancingPolicy 'Fastest', which is not a policy")]
    [InlineData("\"Weight\": 5", "\"Weight\": 0", 9, "Metadata.Weight '0'; a weight is an integer >= 1")]
    [InlineData("\"Weight\": 5", "\"Weight\": 1.5", 9, "Metadata.Weight '1.5'")]
    [InlineData("\"Weight\": 5", "\"Weight\": \"heavy\"", 9, "Metadata.Weight 'heavy'")]
    [InlineData("\"Address\": \"http://127.0.0.1:5002\"", "\"Address\": \"127.0.0.1:5002\"", 10, "not an http(s) URL")]
    [InlineData("\"ClusterId\": \"c\"", "\"ClusterId\": \"nope\"", 4, "cluster 'nope', which is not defined")]
    [InlineData("\"ClusterId\": \"c\"", "\"ClusterId\": \"c\", \"AuthorizationPolicy\": \"Default\"", 4, "authorization policy 'Default', but the gateway has no authentication")]
    [InlineData("\"ClusterId\": \"c\"", "\"ClusterId\": \"c\", \"CorsPolicy\": \"Disable\"", 4, "CORS policy 'Disable', but the gateway runs no CORS middleware")]
    [InlineData("\"LoadBalancingPolicy\"", "\"LoadBalancingPolicyy\"", 7, "could not be mapped")]
    [InlineData("\"DecayTimeSeconds\": 5", "\"DecayTimeSeconds\": -1", 15, "must be a positive number of seconds")]
    public async Task Parse_Problem_ReportsPositionProblemAndFix(string find, string replace, int line, string problem)
    {
        var (config, errors) = await Parse(Valid.Replace(find, replace, StringComparison.Ordinal));
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.NotEmpty(error.Fix);
    }

    [Fact]
    public async Task Parse_RouteWithBothPolicies_ReportsEach()
    {
        var (config, errors) = await Parse(Valid.Replace("\"ClusterId\": \"c\"",
            "\"ClusterId\": \"c\", \"AuthorizationPolicy\": \"Default\", \"CorsPolicy\": \"Disable\"", StringComparison.Ordinal));
        Assert.Null(config);
        Assert.Collection(errors,
            e => Assert.Contains("authorization policy 'Default'", e.Problem, StringComparison.Ordinal),
            e => Assert.Contains("CORS policy 'Disable'", e.Problem, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("body", "not a key source")]
    [InlineData("header:", "not a key source")]
    [InlineData("path:x", "not a key source")]
    public async Task Parse_BadHashKey_Rejected(string key, string problem)
    {
        var json = Valid.Replace("\"LoadBalancingPolicy\": \"weighted\"",
            $"\"LoadBalancingPolicy\": \"ConsistentHash\", \"Metadata\": {{ \"HashKey\": \"{key}\" }}", StringComparison.Ordinal);
        var (_, errors) = await Parse(json);
        Assert.Contains(problem, Assert.Single(errors).Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("header:X-User")]
    [InlineData("cookie:session")]
    [InlineData("query:user")]
    [InlineData("path")]
    [InlineData("client-ip")]
    public async Task Parse_GoodHashKey_Accepted(string key)
    {
        var json = Valid.Replace("\"LoadBalancingPolicy\": \"weighted\"",
            $"\"LoadBalancingPolicy\": \"ConsistentHash\", \"Metadata\": {{ \"HashKey\": \"{key}\", \"HashBalanceFactor\": 125 }}", StringComparison.Ordinal);
        Assert.Empty((await Parse(json)).Errors);
    }

    [Fact]
    public async Task Parse_ConsistentHashWithoutKey_SaysHowToAddOne()
    {
        var (_, errors) = await Parse(Valid.Replace("\"weighted\"", "\"ConsistentHash\"", StringComparison.Ordinal));
        Assert.Contains("HashKey", Assert.Single(errors).Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_SeveralProblems_ReportsEveryOne()
    {
        var json = Valid.Replace("\"weighted\"", "\"Fastest\"", StringComparison.Ordinal).Replace("\"Weight\": 5", "\"Weight\": 0", StringComparison.Ordinal);
        Assert.Equal(2, (await Parse(json)).Errors.Count);
    }
}
