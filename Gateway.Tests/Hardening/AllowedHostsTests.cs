using System.Net;
using Gateway.LoadBalancing;
using Gateway.Tests.AccessLog;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hardening;

/// <summary>
/// ASP.NET Core's AllowedHosts: the gateway drops the host filter when it would let every Host through, and keeps it
/// when the configuration names hosts (here through the environment, as a user would set it).
/// </summary>
public class AllowedHostsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("*")]
    public async Task NoAllowedHosts_AnyHostIsProxied(string? allowed)
    {
        await using var backends = await Backends.StartAsync(1);
        using var folder = new TempFolder();
        await using var gateway = await StartAsync(folder, backends, allowed);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "anything.example"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "other.example"));
    }

    [Fact]
    public async Task AllowedHostsSet_OtherHostsGet400()
    {
        await using var backends = await Backends.StartAsync(1);
        using var folder = new TempFolder();
        await using var gateway = await StartAsync(folder, backends, "good.example");
        Assert.Equal(HttpStatusCode.OK, await GetAsync(gateway, "good.example"));
        Assert.Equal(HttpStatusCode.BadRequest, await GetAsync(gateway, "bad.example"));
    }

    private static async Task<LaunchedGateway> StartAsync(TempFolder folder, Backends backends, string? allowed)
    {
        var config = Path.Combine(folder.Path, "gateway.json");
        await File.WriteAllTextAsync(config, ConfigFiles.Cluster(LoadBalancingPolicyNames.RoundRobin, backends.All));
        var environment = allowed is null ? null : new Dictionary<string, string> { ["AllowedHosts"] = allowed };
        var gateway = await LaunchedGateway.StartAsync(config, environment);
        Assert.False(gateway.HasExited, gateway.Output);
        return gateway;
    }

    private static async Task<HttpStatusCode> GetAsync(LaunchedGateway gateway, string host)
    {
        using var client = new HttpClient { BaseAddress = gateway.Proxy };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
