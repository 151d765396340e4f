using System.Text;
using Gateway.Config;

namespace Gateway.Tests.Split;

public class SplitConfigTests
{
    private const string Valid = """
        {
          "ReverseProxy": {
            "Routes": { "predict": { "ClusterId": "stable", "Match": { "Path": "/{**all}" } } },
            "Clusters": {
              "stable": { "Destinations": { "d": { "Address": "http://127.0.0.1:5001" } } },
              "canary": { "Destinations": { "d": { "Address": "http://127.0.0.1:5002" } } }
            }
          },
          "LbProxy": {
            "Splits": {
              "predict": {
                "Weights": { "stable": 90, "canary": 10 },
                "StickyKey": "header:X-User-Id",
                "Analysis": { "Stable": "stable", "Canary": "canary", "Steps": [10, 50, 100], "IntervalSeconds": 30 }
              }
            }
          }
        }
        """;

    private static Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> Parse(string json) =>
        ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

    [Fact]
    public async Task Parse_ValidSplit_BindsWeightsStickyKeyAndAnalysis()
    {
        var (config, errors) = await Parse(Valid);
        Assert.Empty(errors);
        var split = config!.Options.Splits["predict"];
        Assert.Equal(90, split.Weights["stable"]);
        Assert.Equal(10, split.Weights["canary"]);
        Assert.Equal("header:X-User-Id", split.StickyKey);
        Assert.Equal("canary", split.Analysis!.Canary);
        Assert.Equal(30, split.Analysis.IntervalSeconds);
        Assert.Equal(Gateway.Split.CanaryAnalysisOptions.DefaultMinRequests, split.Analysis.MinRequests);
    }

    [Fact]
    public async Task Parse_BadSplit_ReportsEveryProblemAtItsLine()
    {
        var json = Valid
            .Replace("\"canary\": 10 }", "\"blue\": -1 }", StringComparison.Ordinal)
            .Replace("header:X-User-Id", "body:x", StringComparison.Ordinal)
            .Replace("[10, 50, 100]", "[50, 10]", StringComparison.Ordinal);
        var (config, errors) = await Parse(json);
        Assert.Null(config);
        var lines = json.Split('\n');
        int LineOf(string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal)) + 1;
        Assert.Contains(errors, e => e.Problem.Contains("cluster 'blue', which is not defined", StringComparison.Ordinal) && e.Line == LineOf("\"blue\": -1"));
        Assert.Contains(errors, e => e.Problem.Contains("is -1; a weight is an integer >= 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Problem.Contains("StickyKey is 'body:x'", StringComparison.Ordinal) && e.Line == LineOf("body:x"));
        Assert.Contains(errors, e => e.Problem.Contains("Analysis.Canary is 'canary', which is not one of the split's clusters", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Problem.Contains("Analysis.Steps is [50, 10]", StringComparison.Ordinal) && e.Line == LineOf("[50, 10]"));
        Assert.All(errors, e => Assert.Equal("gw.json", e.File));
    }

    [Fact]
    public async Task Parse_SplitOfUnknownRouteOrAllZero_ReportsIt()
    {
        var json = Valid.Replace("\"Splits\": {\n      \"predict\"", "\"Splits\": {\n      \"predcit\"", StringComparison.Ordinal);
        var (_, errors) = await Parse(json);
        Assert.Contains(errors, e => e.Problem.Contains("route 'predcit', which is not defined", StringComparison.Ordinal));

        var zero = Valid.Replace("\"stable\": 90, \"canary\": 10", "\"stable\": 0, \"canary\": 0", StringComparison.Ordinal);
        (_, errors) = await Parse(zero);
        Assert.Contains(errors, e => e.Problem.Contains("are all 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Parse_MisspeltSplitProperty_IsAnError()
    {
        var (_, errors) = await Parse(Valid.Replace("\"StickyKey\"", "\"Sticky\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Problem.Contains("Sticky", StringComparison.Ordinal) && e.Line > 0);
    }
}
