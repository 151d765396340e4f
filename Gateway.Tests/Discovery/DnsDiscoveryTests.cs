using System.Net.Sockets;
using Gateway.Config;
using Gateway.Discovery;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Discovery;

public sealed class DnsDiscoveryTests
{
    private static readonly DiscoveryOptions s_options = new() { Host = "workers.default.svc.cluster.local", Port = 8000, RefreshSeconds = 5 };

    [Fact]
    public async Task RefreshAsync_RecordsAddedThenRemoved_ClusterFollowsAndFileDestinationsStay()
    {
        var (config, provider) = Config();
        var resolver = new FakeHostResolver();
        var discovery = Discovery(config, resolver, new DiscoveryState());

        resolver.Answer("10.0.0.1", "10.0.0.2");
        await discovery.RefreshAsync(CancellationToken.None);
        Assert.Equal(["10.0.0.1:8000", "10.0.0.2:8000", "static"], Destinations(provider));

        resolver.Answer("10.0.0.2", "10.0.0.3");
        await discovery.RefreshAsync(CancellationToken.None);
        Assert.Equal(["10.0.0.2:8000", "10.0.0.3:8000", "static"], Destinations(provider));
    }

    [Fact]
    public async Task RefreshAsync_NoAnswer_KeepsTheLastDestinations()
    {
        var (config, provider) = Config();
        var resolver = new FakeHostResolver();
        var discovery = Discovery(config, resolver, new DiscoveryState());
        resolver.Answer("10.0.0.1");
        await discovery.RefreshAsync(CancellationToken.None);

        resolver.Fail(SocketError.TryAgain);
        await discovery.RefreshAsync(CancellationToken.None);

        Assert.Equal(["10.0.0.1:8000", "static"], Destinations(provider));
    }

    [Fact]
    public async Task RefreshAsync_NoSuchName_EmptiesTheDiscoveredPart()
    {
        var (config, provider) = Config();
        var resolver = new FakeHostResolver();
        var discovery = Discovery(config, resolver, new DiscoveryState());
        resolver.Answer("10.0.0.1");
        await discovery.RefreshAsync(CancellationToken.None);

        resolver.Fail(SocketError.HostNotFound);
        await discovery.RefreshAsync(CancellationToken.None);

        Assert.Equal(["static"], Destinations(provider));
    }

    [Fact]
    public async Task RefreshAsync_FirstAnswer_MarksTheClusterSynced()
    {
        var (config, _) = Config();
        var resolver = new FakeHostResolver();
        var state = new DiscoveryState();
        state.Expect("models");
        var discovery = Discovery(config, resolver, state);

        resolver.Fail(SocketError.TryAgain);
        await discovery.RefreshAsync(CancellationToken.None);
        Assert.Equal(["models"], state.Pending);

        resolver.Answer("10.0.0.1");
        await discovery.RefreshAsync(CancellationToken.None);
        Assert.True(state.AllSynced);
    }

    [Fact]
    public async Task ExecuteAsync_EveryRefreshPeriod_LooksUpAgain()
    {
        var (config, provider) = Config();
        var resolver = new FakeHostResolver();
        var time = new FakeTimeProvider();
        resolver.Answer("10.0.0.1");
        using var discovery = new DnsDiscovery("models", s_options, resolver, config, new DiscoveryState(), time, NullLogger<DnsDiscovery>.Instance);
        await discovery.StartAsync(CancellationToken.None);
        await WaitForAsync(() => resolver.Lookups == 1);

        resolver.Answer("10.0.0.9");
        time.Advance(TimeSpan.FromSeconds(5));
        await WaitForAsync(() => Destinations(provider).Contains("10.0.0.9:8000"));

        Assert.Equal(2, resolver.Lookups);
        await discovery.StopAsync(CancellationToken.None);
    }

    private static DnsDiscovery Discovery(ConfigState config, FakeHostResolver resolver, DiscoveryState state) =>
        new("models", s_options, resolver, config, state, TimeProvider.System, NullLogger<DnsDiscovery>.Instance);

    private static (ConfigState Config, InMemoryConfigProvider Provider) Config()
    {
        var provider = new InMemoryConfigProvider([], []);
        var state = new ConfigState(provider, TimeProvider.System);
        var cluster = new ClusterConfig
        {
            ClusterId = "models",
            Destinations = new Dictionary<string, DestinationConfig> { ["static"] = new() { Address = "http://127.0.0.1:1" } },
        };
        state.Apply(new GatewayConfig([], [cluster], new LbProxyOptions(), "test"));
        return (state, provider);
    }

    private static List<string> Destinations(InMemoryConfigProvider provider) =>
        [.. provider.GetConfig().Clusters.Single().Destinations!.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The discovery loop runs on the thread pool; wait for what it does, at most 10 s.</summary>
    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
