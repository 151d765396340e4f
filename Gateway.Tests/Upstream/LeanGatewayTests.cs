using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Upstream;

/// <summary>The lean client inside the real gateway: which clusters use it, and what retries and errors look like through it.</summary>
public class LeanGatewayTests
{
    private static string Config(IEnumerable<(string Name, string Url)> destinations, string? upstreamClient = null)
    {
        var root = JsonNode.Parse(ResilienceConfig.Build(LoadBalancingPolicyNames.RoundRobin, destinations, activeHealth: false))!;
        if (upstreamClient is not null)
        {
            root["ReverseProxy"]!["Clusters"]!["backends"]!["Metadata"] = new JsonObject { [UpstreamClientChoice.MetadataKey] = upstreamClient };
        }

        return root.ToJsonString();
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("Lean", true)]
    [InlineData("sockets", false)]
    public async Task Proxy_UpstreamClientChoice_LeanPoolUsedOnlyWhenLean(string? choice, bool lean)
    {
        await using var backends = await Backends.StartAsync(1);
        await using var gateway = await GatewayUnderTest.StartAsync(Config([("a", backends["a"].Url)], choice));
        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.Proxy.GetAsync("/hello");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("a", await response.Content.ReadAsStringAsync());
        }

        var pools = gateway.Host.Services.GetRequiredService<LeanConnectionPools>().All.ToArray();
        if (lean)
        {
            Assert.Equal(1, Assert.Single(pools).IdleCount); // three requests, one kept-alive connection
        }
        else
        {
            Assert.Empty(pools);
        }
    }

    [Fact]
    public async Task Proxy_FirstDestinationResetsBeforeAnswering_PostBodySentAgainToTheOther()
    {
        await using var failing = RawBackend.Start(_ => new RawReply("", reset: true));
        await using var echo = RawBackend.Start(r => new RawReply($"HTTP/1.1 200 OK\r\nContent-Length: {r.Body.Length}\r\n\r\n{r.Body}"));
        await using var gateway = await GatewayUnderTest.StartAsync(Config([("a", failing.Url), ("b", echo.Url)]));
        var payload = new string('p', 20_000);
        for (var i = 0; i < 4; i++)
        {
            using var response = await gateway.Proxy.PostAsync("/predict", new StringContent(payload + i, Encoding.ASCII));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(payload + i, await response.Content.ReadAsStringAsync());
        }

        Assert.NotEmpty(failing.Requests); // round-robin sent some first tries there, and they were retried with the same body
        Assert.All(failing.Requests, r => Assert.StartsWith(payload, r.Body, StringComparison.Ordinal));
        Assert.Equal(4, echo.Requests.Count);
    }

    [Theory]
    [InlineData("hello world\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n")]
    public async Task Proxy_MalformedResponseHead_502ProblemJson(string reply)
    {
        await using var broken = RawBackend.Start(_ => new RawReply(reply, close: true));
        await using var gateway = await GatewayUnderTest.StartAsync(Config([("a", broken.Url)]));
        using var response = await gateway.Proxy.GetAsync("/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Proxy_DestinationNeverAnswers_TryTimesOutAnd504()
    {
        await using var silent = RawBackend.Start(_ => new RawReply("")); // reads the request, answers nothing, keeps the connection
        await using var gateway = await GatewayUnderTest.StartAsync(Config([("a", silent.Url)]));
        using var response = await gateway.Proxy.GetAsync("/");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode); // YARP's try timeout (0.5 s here) cancelled the lean read
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Single(silent.Requests);
    }

    [Fact]
    public async Task Proxy_ChunkedResponseWithTrailers_ReachesTheClient()
    {
        await using var backend = RawBackend.Always("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
        await using var gateway = await GatewayUnderTest.StartAsync(Config([("a", backend.Url)]));
        for (var i = 0; i < 2; i++)
        {
            using var response = await gateway.Proxy.GetAsync("/");
            Assert.Equal("abcdefg", await response.Content.ReadAsStringAsync());
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(1, backend.Connections);
    }

    [Theory]
    [InlineData("\"UpstreamClient\": \"Fast\"", "Metadata.UpstreamClient", "'Fast', which is not an upstream client")]
    [InlineData("\"LeanForwarder\": \"no\"", "Metadata.LeanForwarder", "'no', which is neither on nor off")]
    [InlineData("\"UpstreamClient\": \"Lean\" }, \"HttpClient\": { \"MaxConnectionsPerServer\": 10", "HttpClient.MaxConnectionsPerServer", "does not implement")]
    public async Task Parse_BadUpstreamClient_ReportsLineAndFix(string metadata, string path, string problem)
    {
        var json = "{\n  \"ReverseProxy\": {\n    \"Routes\": { \"r\": { \"ClusterId\": \"c\", \"Match\": { \"Path\": \"/{**all}\" } } },\n"
            + "    \"Clusters\": {\n      \"c\": {\n        \"Metadata\": { " + metadata + " },\n"
            + "        \"Destinations\": { \"d1\": { \"Address\": \"http://127.0.0.1:5001\" } }\n      }\n    }\n  }\n}\n";
        var (config, errors) = await ConfigFileParser.ParseAsync("gw.json", Encoding.UTF8.GetBytes(json), yarpValidator: null);
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal(6, error.Line);
        Assert.Contains(path, error.Problem, StringComparison.Ordinal);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.NotEmpty(error.Fix);
    }
}
