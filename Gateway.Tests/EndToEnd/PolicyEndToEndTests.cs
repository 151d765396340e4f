using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>Every policy through the real gateway (Kestrel + YARP) to real Kestrel backends on 127.0.0.1.</summary>
public class PolicyEndToEndTests
{
    private static Dictionary<string, int> Count(IEnumerable<string> names) =>
        names.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public async Task RoundRobin_ThirtyRequests_TenEach()
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));
        var names = await gateway.GetSequentialAsync(30);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 10, ["b"] = 10, ["c"] = 10 }, Count(names));
    }

    [Fact]
    public async Task NoPolicy_DefaultsToRoundRobinLikeNginx()
    {
        await using var backends = await Backends.StartAsync(2);
        var json = ConfigFiles.Cluster("", backends.All).Replace("\"LoadBalancingPolicy\": \"\",", "", StringComparison.Ordinal);
        await using var gateway = await GatewayUnderTest.StartAsync(json);
        Assert.Equal(["a", "b", "a", "b"], await gateway.GetSequentialAsync(4));
    }

    [Fact]
    public async Task Weighted_Weights511_NginxSmoothSequence()
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Weighted, backends.All,
            new Dictionary<string, int> { ["a"] = 5, ["b"] = 1, ["c"] = 1 }));
        var names = await gateway.GetSequentialAsync(14);
        Assert.Equal("aabacaa" + "aabacaa", string.Concat(names));
    }

    [Fact]
    public async Task LeastConnections_BackendHoldingARequest_GetsNoNewOnes()
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.LeastConnections, backends.All));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backends["a"].Gate = gate;

        // All idle: the tie-break rotation starts at a, which now holds the request.
        var held = gateway.Proxy.GetStringAsync("/");
        while (backends["a"].Hits == 0)
        {
            await Task.Delay(10);
        }

        var names = await gateway.GetSequentialAsync(20);
        Assert.DoesNotContain("a", names);
        Assert.Equal(new Dictionary<string, int> { ["b"] = 10, ["c"] = 10 }, Count(names));

        gate.SetResult();
        Assert.Equal("a", await held);
    }

    [Fact]
    public async Task ConsistentHash_HeaderKey_SameKeySameBackendAndKeylessRoundRobin()
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.ConsistentHash, backends.All,
            clusterMetadata: new Dictionary<string, string> { ["HashKey"] = "header:X-User" }));

        var owners = new Dictionary<string, string>();
        for (var round = 0; round < 3; round++)
        {
            for (var user = 0; user < 30; user++)
            {
                var name = (await gateway.GetSequentialAsync(1, configure: r => r.Headers.Add("X-User", $"user-{user}")))[0];
                Assert.Equal(owners.GetValueOrDefault($"user-{user}", name), name);
                owners[$"user-{user}"] = name;
            }
        }

        Assert.Equal(3, owners.Values.Distinct().Count());
        var keyless = await gateway.GetSequentialAsync(30);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 10, ["b"] = 10, ["c"] = 10 }, Count(keyless));
    }

    [Theory]
    [InlineData("query:user", "/?user=")]
    [InlineData("path", "/items/")]
    public async Task ConsistentHash_QueryAndPathKeys_AreSticky(string hashKey, string prefix)
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.ConsistentHash, backends.All,
            clusterMetadata: new Dictionary<string, string> { ["HashKey"] = hashKey }));
        for (var user = 0; user < 10; user++)
        {
            var names = await gateway.GetSequentialAsync(4, prefix + user);
            Assert.Single(names.Distinct());
        }
    }

    [Fact]
    public async Task Adaptive_OneBackendTenTimesSlower_GetsUnderTwentyPercent()
    {
        await using var backends = await Backends.StartAsync(3);
        backends["a"].Delay = TimeSpan.FromMilliseconds(100);
        backends["b"].Delay = TimeSpan.FromMilliseconds(5);
        backends["c"].Delay = TimeSpan.FromMilliseconds(5);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Adaptive, backends.All));

        var all = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => gateway.GetSequentialAsync(50)));
        var names = all.SelectMany(n => n).ToList();
        var share = names.Count(n => n == "a") / (double)names.Count;
        Assert.True(share < 0.20, $"slow backend got {share:P1} of {names.Count}");
    }

    [Fact]
    public async Task Adaptive_BackendReportingDeepQueue_GetsLittleTraffic()
    {
        await using var backends = await Backends.StartAsync(3);
        foreach (var backend in backends.All)
        {
            backend.Delay = TimeSpan.FromMilliseconds(5);
            backend.QueueDepth = backend.Name == "a" ? 40 : 0;
        }

        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(LoadBalancingPolicyNames.Adaptive, backends.All));
        var all = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => gateway.GetSequentialAsync(40)));
        var share = all.SelectMany(n => n).Count(n => n == "a") / 120.0;
        Assert.True(share < 0.15, $"backend reporting queue depth 40 got {share:P1}");
    }

    [Theory]
    [InlineData(LoadBalancingPolicyNames.PowerOfTwoChoices)]
    [InlineData(LoadBalancingPolicyNames.LeastRequests)]
    [InlineData(LoadBalancingPolicyNames.Random)]
    public async Task YarpBuiltIns_StaySelectableAsBaselines(string policy)
    {
        await using var backends = await Backends.StartAsync(3);
        await using var gateway = await GatewayUnderTest.StartAsync(ConfigFiles.Cluster(policy, backends.All));
        var names = await gateway.GetSequentialAsync(30);
        Assert.All(names, n => Assert.Contains(n, new[] { "a", "b", "c" }));
        var status = await gateway.StatusAsync();
        Assert.Equal(policy, status.GetProperty("clusters")[0].GetProperty("policy").GetString());
    }
}
