using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

/// <summary>What the gateway consumes from a destination's answer (X-Queue-Depth) stays with the gateway unless the cluster passes it on.</summary>
public class InternalHeadersEndToEndTests
{
    private static string Config(TestBackend backend, bool pass)
    {
        var resilience = ResilienceConfig.FastResilience();
        if (pass)
        {
            resilience["PassQueueDepthHeader"] = true;
        }

        return ResilienceConfig.Build(LoadBalancingPolicyNames.Adaptive, [(backend.Name, backend.Url)], resilience, activeHealth: false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task QueueDepth_ReadByTheGateway_ReachesTheClientOnlyWhenPassed(bool pass)
    {
        await using var backends = await Backends.StartAsync(1);
        backends["a"].QueueDepth = 7;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backends["a"], pass));

        using var response = await gateway.Proxy.GetAsync("/");
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
        Assert.Equal(pass, response.Headers.Contains("X-Queue-Depth"));

        // Either way the gateway read it.
        var destination = (await gateway.StatusAsync()).GetProperty("clusters")[0].GetProperty("destinations")[0];
        Assert.True(destination.GetProperty("reportedQueueDepth").GetDouble() > 0);
    }
}
