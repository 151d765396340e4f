using Benchmarks.Local;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Harness;

/// <summary>
/// The harnesses start gateway processes on port 0 and read the bound ports from the banner (benchmarks'
/// Local/GatewayBanner): this pins that the banner the gateway prints (Gateway/Banner.cs) still parses to its real
/// listeners.
/// </summary>
public sealed class GatewayBannerTests
{
    [Fact]
    public async Task ProxyAndAdmin_RealBannerOfAPortZeroGateway_TheBoundUrls()
    {
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(
            ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", backends["a"].Url)], activeHealth: false));

        var lines = Banner.Text(gateway.Host, gateway.ConfigPath).Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.Equal(new Uri(gateway.Host.ProxyUrls[0]), Assert.Single(lines.Select(GatewayBanner.Proxy).OfType<Uri>()));
        Assert.Equal(new Uri(gateway.Host.AdminUrls[0]), Assert.Single(lines.Select(GatewayBanner.Admin).OfType<Uri>()));
        Assert.NotEqual(0, new Uri(gateway.Host.ProxyUrls[0]).Port);
    }
}
