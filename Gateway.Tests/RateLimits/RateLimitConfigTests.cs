using System.Text;
using System.Text.Json.Nodes;
using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.RateLimits;

/// <summary>A bad LbProxy.RateLimits rule is an error at its line, saying what to write instead.</summary>
public class RateLimitConfigTests
{
    [Theory]
    [InlineData("""{ "Key": "cookie:id", "RequestsPerSecond": 5 }""", "Key", "header:X-Api-Key")]
    [InlineData("""{ "Key": "ip", "RequestsPerSecond": -1 }""", "RequestsPerSecond", "from 0")]
    [InlineData("""{ "Key": "ip" }""", "r1", "sets no limit")]
    [InlineData("""{ "Key": "header:X-Api-Key", "Connections": 5 }""", "Connections", "a connection has no header")]
    [InlineData("""{ "Key": "ip", "ConcurrentRequests": 5, "Routes": [ "nope" ] }""", "Routes", "route 'nope'")]
    [InlineData("""{ "Key": "ip", "Burst": 5, "ConcurrentRequests": 1 }""", "Burst", "without RequestsPerSecond")]
    public async Task Rule_BadSetting_ErrorAtItsLine(string rule, string property, string problem)
    {
        var json = ConfigJson.WithLbProxy(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", "http://127.0.0.1:1")], activeHealth: false),
            "RateLimits", new JsonObject { ["r1"] = JsonNode.Parse(rule) });
        var (config, errors) = await ConfigFileParser.ParseAsync("gateway.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Contains(problem, error.Problem + error.Fix, StringComparison.Ordinal);
        var section = json.IndexOf("\"RateLimits\"", StringComparison.Ordinal);
        var expectedLine = json[..json.IndexOf($"\"{property}\"", section, StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        Assert.Equal(expectedLine, error.Line);
    }

    [Fact]
    public async Task Rule_Valid_InTheModel()
    {
        var json = ConfigJson.WithLbProxy(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", "http://127.0.0.1:1")], activeHealth: false),
            "RateLimits", new JsonObject { ["r1"] = JsonNode.Parse("""{ "Key": "header:X-Api-Key", "RequestsPerSecond": 2.5, "Routes": [ "all" ] }""") });
        var (config, errors) = await ConfigFileParser.ParseAsync("gateway.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

        Assert.Empty(errors);
        var rule = config!.Options.RateLimits["r1"];
        Assert.Equal(3, rule.EffectiveBurst);
        Assert.Equal(["all"], rule.Routes);
    }
}
