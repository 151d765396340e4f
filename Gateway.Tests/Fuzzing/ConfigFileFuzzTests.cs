using System.Text;
using CsCheck;
using Gateway.Config;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// The JSON config loader under mutated configs: whatever the bytes, <see cref="ConfigFileParser.ParseAsync"/> returns
/// a config or errors (never throws), and every error names the file, a line and a column, a problem and a fix.
/// </summary>
public class ConfigFileFuzzTests
{
    private static readonly IConfigValidator s_validator = new ServiceCollection().AddLogging().AddMetrics()
        .AddLbProxyGateway(new GatewayHostOptions()).BuildServiceProvider().GetRequiredService<IConfigValidator>();

    private static readonly string[] s_seeds =
    [
        File.ReadAllText(Path.Combine(Benchmarks.Local.LocalProcesses.RepoRoot(), "Gateway", "examples", "gateway.json")),
        File.ReadAllText(Path.Combine(Benchmarks.Local.LocalProcesses.RepoRoot(), "Gateway", "examples", "fleet.json")),
        """
        { "ReverseProxy": { "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**x}" } } },
            "Clusters": { "c": { "LoadBalancingPolicy": "ConsistentHash", "Metadata": { "HashKey": "header:X-U", "HashBalanceFactor": "125" },
              "Destinations": { "d": { "Address": "http://127.0.0.1:5001", "Metadata": { "Weight": "3" } } } } } },
          "LbProxy": { "ServerLimits": { "RequestHeadersTimeoutSeconds": 10, "MaxConcurrentConnections": 100, "MaxRequestBodyBytes": 1000 },
            "TrustedProxies": [ "10.0.0.0/8", "::1" ],
            "Resilience": { "Retry": { "MaxTries": 2, "Conditions": [ "error", "http_503" ] }, "CircuitBreaker": { "FailureRatio": 0.5 } },
            "Clusters": { "c": { "SlowStart": { "WindowSeconds": 5 } } }, "Adaptive": { "DecayTimeSeconds": 3 } } }
        """,
    ];

    [Fact]
    public void ParseAsync_MutatedConfigs_ReturnConfigOrLocatedErrorsNeverThrow()
    {
        Mutations.Of(s_seeds).Sample(text =>
        {
            var (config, errors) = ConfigFileParser.ParseAsync("fuzz.json", Encoding.UTF8.GetBytes(text), s_validator).GetAwaiter().GetResult();
            Assert.True(config is not null || errors.Count > 0, "neither a config nor an error");
            foreach (var error in errors)
            {
                Assert.Equal("fuzz.json", error.File);
                Assert.True(error.Line >= 1 && error.Column >= 1, $"error without a position: {error}");
                Assert.False(string.IsNullOrWhiteSpace(error.Problem));
                Assert.False(string.IsNullOrWhiteSpace(error.Fix));
            }
        }, iter: FuzzBudget.Iterations, time: FuzzBudget.Seconds, threads: 1);
    }

    /// <summary>
    /// Found by the fuzzer: the file is read with comments and trailing commas allowed, but LbProxy.Resilience and
    /// LbProxy.Clusters were re-read strictly, so either threw JsonReaderException out of the loader (start-up and reload).
    /// </summary>
    [Theory]
    [InlineData("""{ "ReverseProxy": {}, "LbProxy": { "Resilience": { "Retry": { "Conditions": [ "error", "http_503", ] } } } }""")]
    [InlineData("""{ "ReverseProxy": {}, "LbProxy": { "Resilience": { "Retry": { "MaxTries": 2, }, } } }""")]
    [InlineData("""{ "ReverseProxy": {}, "LbProxy": { "Resilience": { /* defaults */ "Retry": { "MaxTries": 2 } } } }""")]
    [InlineData("{ \"ReverseProxy\": { \"Clusters\": { \"c\": { \"Destinations\": { \"d\": { \"Address\": \"http://127.0.0.1:1\" } } } } },\n" +
        "  \"LbProxy\": { \"Clusters\": { \"c\": { \"Retry\": { \"MaxTries\": 2, }, // one\n } } } }")]
    public async Task Regression_ResilienceSectionWithTrailingCommaOrComment_IsAccepted(string json)
    {
        var (config, errors) = await ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), s_validator);
        Assert.True(config is not null, string.Join("\n", errors));
    }

    /// <summary>
    /// Found by the fuzzer (CI seed 9GrtIat9fXAJ): a key given twice inside LbProxy.Resilience threw ArgumentException out
    /// of the loader when the section was merged; anywhere else the last one silently won. Both are now one located error.
    /// </summary>
    [Theory]
    [InlineData("{ \"ReverseProxy\": {},\n  \"LbProxy\": { \"Resilience\": { \"CircuitBreaker\": { \"FailureRatio\": 0 }, \"CircuitBreaker\": { \"FailureRatio\": 0.5 } } } }", 2)]
    [InlineData("{ \"ReverseProxy\": { \"Routes\": {\n \"r\": { \"ClusterId\": \"c\", \"Match\": { \"Path\": \"/\" } },\n \"r\": { \"ClusterId\": \"c\", \"Match\": { \"Path\": \"/x\" } } } } }", 3)]
    [InlineData("{ \"ReverseProxy\": {}, \"reverseproxy\": {} }", 1)]
    public async Task Regression_DuplicateKey_IsALocatedErrorNotAnException(string json, int line)
    {
        var (config, errors) = await ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), s_validator);
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal(line, error.Line);
        Assert.Contains("uplicate", error.Problem);
        Assert.Contains("remove the other", error.Fix);
    }

    [Fact]
    public async Task ParseAsync_Seeds_AreValid()
    {
        foreach (var seed in s_seeds)
        {
            var (config, errors) = await ConfigFileParser.ParseAsync("seed.json", Encoding.UTF8.GetBytes(seed), s_validator);
            Assert.True(config is not null, string.Join("\n", errors));
        }
    }
}
