using System.Net;
using System.Text.Json.Nodes;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Config;

/// <summary>
/// The gateway authenticates no one: a route may only say "Anonymous" (the config file rejects any other policy), and
/// the request path has no authorization middleware, which such a route must not need.
/// </summary>
public class RouteAuthorizationTests
{
    [Fact]
    public async Task Proxy_AnonymousRoute_ProxiedWithoutAuthorizationMiddleware()
    {
        await using var backends = await Backends.StartAsync(1);
        var root = JsonNode.Parse(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, [("a", backends["a"].Url)], activeHealth: false))!;
        foreach (var (_, route) in root["ReverseProxy"]!["Routes"]!.AsObject())
        {
            route!["AuthorizationPolicy"] = "Anonymous";
        }

        await using var gateway = await GatewayUnderTest.StartAsync(root.ToJsonString());
        using var response = await gateway.Proxy.GetAsync("/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
    }
}
