using System.Text;
using Gateway.AccessLog;
using Gateway.Config;

namespace Gateway.Tests.AccessLog;

public sealed class AccessLogConfigTests
{
    private const string Base = """
        {
          "ReverseProxy": {
            "Routes": {
              "all": { "ClusterId": "c", "Match": { "Path": "/{**x}" }, "Metadata": { "AccessLog": "nope" } },
              "quiet": { "ClusterId": "c", "Match": { "Path": "/q/{**x}" }, "Metadata": { "AccessLog": "off" } }
            },
            "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:1" } } } }
          },
          "LbProxy": {
            "AccessLog": {
              "Logs": { "main": { "Path": "logs/main.log", "Format": "Json" }, "empty": { "Path": "" } },
              "Listeners": { "*": "main", "http": "main", "8080": "missing" },
              "QueueLines": 0
            }
          }
        }
        """;

    [Fact]
    public async Task ParseAsync_BadAccessLogSettings_EveryProblemWithFileLineAndFix()
    {
        var (config, errors) = await ConfigFileParser.ParseAsync("/etc/lbproxy/gateway.json", Encoding.UTF8.GetBytes(Base), null);

        Assert.Null(config);
        var text = errors.Select(e => e.ToString()).ToList();
        Assert.Equal(5, text.Count);
        Assert.Contains(text, e => e.StartsWith("/etc/lbproxy/gateway.json:4:", StringComparison.Ordinal)
            && e.Contains("route 'all' names access log 'nope', which is not defined", StringComparison.Ordinal) && e.Contains("main", StringComparison.Ordinal));
        Assert.Contains(text, e => e.StartsWith("/etc/lbproxy/gateway.json:11:", StringComparison.Ordinal) && e.Contains("access log 'empty' has no Path", StringComparison.Ordinal));
        Assert.Contains(text, e => e.Contains("Listeners has key 'http'", StringComparison.Ordinal));
        Assert.Contains(text, e => e.Contains("listener '8080' names access log 'missing'", StringComparison.Ordinal));
        Assert.Contains(text, e => e.Contains("QueueLines is 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ParseAsync_ValidSection_RelativePathFromConfigFolderAndRouteBeatsListener()
    {
        var json = Base.Replace("\"nope\"", "\"main\"", StringComparison.Ordinal)
            .Replace(", \"empty\": { \"Path\": \"\" }", "", StringComparison.Ordinal)
            .Replace(", \"http\": \"main\", \"8080\": \"missing\"", ", \"9000\": \"off\"", StringComparison.Ordinal)
            .Replace("\"QueueLines\": 0", "\"QueueLines\": 64", StringComparison.Ordinal);

        var (config, errors) = await ConfigFileParser.ParseAsync("/etc/lbproxy/gateway.json", Encoding.UTF8.GetBytes(json), null);

        Assert.Empty(errors);
        var options = config!.Options.AccessLog!;
        Assert.Equal(64, options.QueueLines);
        var main = options.Logs["MAIN"];
        Assert.Equal("/etc/lbproxy/logs/main.log", main.Path);
        Assert.Equal(AccessLogFormat.Json, main.Format);
        Assert.Same(main, options.Select(8080, null));
        Assert.Null(options.Select(9000, null));
        Assert.Null(options.Select(8080, new Dictionary<string, string> { ["AccessLog"] = "off" }));
        Assert.Same(main, options.Select(9000, new Dictionary<string, string> { ["AccessLog"] = "main" }));
    }

    [Fact]
    public async Task ParseAsync_NoSection_AccessLogOff()
    {
        var json = Base.Replace(", \"Metadata\": { \"AccessLog\": \"nope\" }", "", StringComparison.Ordinal)
            .Replace(", \"Metadata\": { \"AccessLog\": \"off\" }", "", StringComparison.Ordinal);
        json = json[..json.IndexOf(",\n  \"LbProxy\"", StringComparison.Ordinal)] + "\n}";

        var (config, errors) = await ConfigFileParser.ParseAsync("/t/gateway.json", Encoding.UTF8.GetBytes(json), null);

        Assert.Empty(errors);
        Assert.Null(config!.Options.AccessLog);
    }
}
