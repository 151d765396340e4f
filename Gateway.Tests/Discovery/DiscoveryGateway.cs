using Gateway.Discovery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;

namespace Gateway.Tests.Discovery;

/// <summary>
/// The real gateway on 127.0.0.1 (OS-chosen ports) with one cluster, "models", whose destinations come from
/// <c>LbProxy.Discovery</c> only. Round-robin, so which backend answers is predictable.
/// </summary>
internal sealed class DiscoveryGateway : IAsyncDisposable
{
    private readonly string _folder;

    private DiscoveryGateway(GatewayHost host, string folder)
    {
        Host = host;
        _folder = folder;
        Proxy = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
        Admin = new HttpClient { BaseAddress = new Uri(host.AdminUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
    }

    public GatewayHost Host { get; }

    public HttpClient Proxy { get; }

    public HttpClient Admin { get; }

    /// <param name="discoveryJson">The value of LbProxy.Discovery.models.</param>
    public static async Task<DiscoveryGateway> StartAsync(string discoveryJson, IHostResolver? resolver = null)
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-discovery-").FullName;
        var path = Path.Combine(folder, "gateway.json");
        await File.WriteAllTextAsync(path, $$"""
            {
              "ReverseProxy": {
                "Routes": { "all": { "ClusterId": "models", "Match": { "Path": "/{**catch-all}" } } },
                "Clusters": { "models": { "LoadBalancingPolicy": "RoundRobin" } }
              },
              "LbProxy": { "Discovery": { "models": {{discoveryJson}} } }
            }
            """);
        var host = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            ConfigPath = path,
            Urls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}",
            HostResolver = resolver,
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        return new DiscoveryGateway(host, folder);
    }

    /// <summary>The destination ids YARP balances over right now.</summary>
    public List<string> Destinations() =>
        Host.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster("models", out var cluster)
            ? [.. cluster.Destinations.Keys.Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Waits (at most 15 s: a broken watch is retried after 1 s) until the destinations are exactly these.</summary>
    public async Task WaitForDestinationsAsync(params string[] expected)
    {
        for (var i = 0; i < 1500 && !Destinations().SequenceEqual(expected.Order(StringComparer.Ordinal)); i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), Destinations());
    }

    /// <summary>Sends GETs one after another; returns the names of the backends that answered.</summary>
    public async Task<List<string>> GetAsync(int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var response = await Proxy.GetAsync("/");
            Assert.True(response.IsSuccessStatusCode, $"request {i} failed: {(int)response.StatusCode}");
            names.Add(await response.Content.ReadAsStringAsync());
        }

        return names;
    }

    public async ValueTask DisposeAsync()
    {
        Proxy.Dispose();
        Admin.Dispose();
        await Host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
