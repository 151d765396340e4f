using System.Net;
using Gateway.LoadBalancing;
using Gateway.Tests.AccessLog;
using Gateway.Tests.Infrastructure;
using Gateway.Transport;

namespace Gateway.Tests.Transport;

/// <summary>LBPROXY_EVENT_LOOPS: how many epoll loops the gateway runs (nginx's worker_processes, HAProxy's nbthread).</summary>
public class EventLoopCountTests
{
    [Theory]
    [InlineData(null, 4, 4)]
    [InlineData("", 4, 4)]
    [InlineData("1", 4, 1)]
    [InlineData("3", 2, 3)]
    [InlineData(null, 0, 1)]
    public void LoopCount_GivenOrOnePerProcessor(string? setting, int processors, int expected) =>
        Assert.Equal(expected, EpollLoops.LoopCount(setting, processors));

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("two")]
    [InlineData("1.5")]
    public void LoopCount_NotAPositiveWholeNumber_SaysWhatToSet(string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => EpollLoops.LoopCount(setting, 2));
        Assert.Contains($"{EpollLoops.CountVariable}='{setting}' is not a positive whole number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_OneLoop_RunsOneLoopThreadAndProxies()
    {
        await using var backends = await Backends.StartAsync(1);
        using var folder = new TempFolder();
        var config = Path.Combine(folder.Path, "gateway.json");
        await File.WriteAllTextAsync(config, ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));
        await using var gateway = await LaunchedGateway.StartAsync(config, new Dictionary<string, string> { [EpollLoops.CountVariable] = "1" });
        Assert.False(gateway.HasExited, gateway.Output);
        using var client = new HttpClient { BaseAddress = gateway.Proxy };
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync($"/n{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Thread names as the kernel keeps them (15 characters: "lbproxy-epoll-0").
        var loops = Directory.GetDirectories($"/proc/{gateway.Pid}/task")
            .Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim())
            .Count(name => name.StartsWith("lbproxy-epoll", StringComparison.Ordinal));
        Assert.Equal(1, loops);
    }

    [Fact]
    public async Task Gateway_BadLoopCount_Exits2NamingTheVariable()
    {
        using var folder = new TempFolder();
        var config = Path.Combine(folder.Path, "gateway.json");
        await File.WriteAllTextAsync(config, """{ "ReverseProxy": { "Routes": {}, "Clusters": {} } }""");
        await using var gateway = await LaunchedGateway.StartAsync(config, new Dictionary<string, string> { [EpollLoops.CountVariable] = "many" });
        Assert.True(gateway.HasExited, gateway.Output);
        Assert.Equal(2, gateway.ExitCode);
        Assert.Contains($"error: {EpollLoops.CountVariable}='many' is not a positive whole number", gateway.Output, StringComparison.Ordinal);
    }
}
