using System.Text;
using Gateway.Config;
using Gateway.Health;

namespace Gateway.Tests.Resilience;

/// <summary>The LbProxy resilience section: defaults, per-cluster partial overrides, and errors at their line.</summary>
public sealed class ResilienceSectionTests
{
    private static string File(string lbProxy) => $$"""
        {
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
            "Clusters": {
              "c": { "Destinations": { "d1": { "Address": "http://127.0.0.1:5001" } },
                     "HealthCheck": { "Active": { "Enabled": true } } }
            }
          },
          "LbProxy": {{lbProxy}}
        }
        """;

    private static Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> Parse(string json) =>
        ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);

    private static int LineOf(string json, string text) =>
        json.Split('\n').Select((line, i) => (line, i)).First(x => x.line.Contains(text, StringComparison.Ordinal)).i + 1;

    [Fact]
    public async Task Parse_NoResilienceSection_DefaultsAndClusterDefaults()
    {
        var (config, errors) = await Parse(File("{}"));

        Assert.Empty(errors);
        var options = config!.Options.For("c");
        Assert.Equal(new ResilienceOptions().HealthCheck, options.HealthCheck);
        Assert.Equal(new ResilienceOptions().SlowStart, options.SlowStart);
        Assert.Equal(0.5, options.CircuitBreaker.FailureRatio);
        Assert.Equal(5, options.CircuitBreaker.ConsecutiveFailures);
        Assert.Equal([502, 503, 504], options.CircuitBreaker.FailureStatusCodes);
        Assert.Equal(["error", "timeout", "http_502", "http_503", "http_504"], options.Retry.Conditions);
        Assert.Equal(3, options.Retry.MaxTries);
        Assert.Equal(0, options.PanicThresholdPercent);
        var cluster = Assert.Single(config.Clusters);
        Assert.Equal(RiseFallHealthPolicy.PolicyName, cluster.HealthCheck!.Active!.Policy);
        Assert.Equal("/ready", cluster.HealthCheck.Active.Path);
        Assert.Equal(TimeSpan.FromSeconds(5), cluster.HealthCheck.Active.Interval);
        Assert.Equal(PanicThresholdPolicy.PolicyName, cluster.HealthCheck.AvailableDestinationsPolicy);
        Assert.Equal(TimeSpan.FromSeconds(60), cluster.HttpRequest!.ActivityTimeout); // the idle timeout, not the try timeout
        Assert.Equal(30, options.Retry.TryTimeoutSeconds);
        Assert.Equal(0, options.Timeouts.RouteSeconds);
    }

    [Fact]
    public async Task Parse_ClusterOverride_MergesOverTheDefaultsPropertyByProperty()
    {
        var (config, errors) = await Parse(File("""
            {
              "Resilience": { "CircuitBreaker": { "FailureRatio": 0.3, "BreakDurationSeconds": 2 }, "Timeouts": { "IdleSeconds": 4 } },
              "Clusters": { "c": { "CircuitBreaker": { "BreakDurationSeconds": 7 }, "PanicThresholdPercent": 50 } }
            }
            """));

        Assert.Empty(errors);
        var options = config!.Options.For("c");
        Assert.Equal(0.3, options.CircuitBreaker.FailureRatio);
        Assert.Equal(7, options.CircuitBreaker.BreakDurationSeconds);
        Assert.Equal(50, options.PanicThresholdPercent);
        Assert.Equal(TimeSpan.FromSeconds(4), Assert.Single(config.Clusters).HttpRequest!.ActivityTimeout);
    }

    [Fact]
    public async Task Parse_BadValues_EveryOneReportedAtItsLine()
    {
        var json = File("""
            {
              "Resilience": {
                "CircuitBreaker": {
                  "FailureRatio": 1.5,
                  "FailureStatusCodes": [503, 200]
                },
                "Retry": {
                  "Conditions": ["error", "http_418"],
                  "TryTimeoutSeconds": 0
                },
                "SlowStart": { "MinWeightPercent": 0 }
              },
              "Clusters": {
                "c": { "HealthCheck": { "Fall": 0 } },
                "nope": { "QueueSize": 1 }
              }
            }
            """);

        var (config, errors) = await Parse(json);

        Assert.Null(config);
        Assert.All(errors, e => Assert.Equal("gw.json", e.File));
        void Has(string text, string lineText)
        {
            var error = Assert.Single(errors, e => e.Problem.Contains(text, StringComparison.Ordinal));
            Assert.Equal(LineOf(json, lineText), error.Line);
        }

        Has("CircuitBreaker.FailureRatio is 1.5", "\"FailureRatio\": 1.5");
        Has("FailureStatusCodes is 503,200", "\"FailureStatusCodes\"");
        Has("Retry.Conditions is http_418", "\"Conditions\"");
        Has("Retry.TryTimeoutSeconds is 0", "\"TryTimeoutSeconds\": 0");
        Has("SlowStart.MinWeightPercent is 0", "\"MinWeightPercent\"");
        Has("Clusters.c.HealthCheck.Fall is 0", "\"Fall\": 0");
        Has("cluster 'nope', which is not defined", "\"nope\"");
        Assert.Equal(7, errors.Count); // the bad defaults are not reported again for cluster c
    }

    [Fact]
    public async Task Parse_WrongTypeOrUnknownOption_ReportedWithItsPath()
    {
        var json = File("""
            {
              "Resilience": { "Retry": { "MaxTries": "three" } },
              "Clusters": { "c": { "CircuitBreaker": { "FailureRatoi": 0.5 } } }
            }
            """);

        var (config, errors) = await Parse(json);

        Assert.Null(config);
        Assert.Contains(errors, e => e.Line == LineOf(json, "\"MaxTries\"") && e.Problem.StartsWith("LbProxy.Resilience", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Problem.Contains("FailureRatoi", StringComparison.Ordinal));
    }
}
