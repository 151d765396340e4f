using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Discovery;

/// <summary>
/// EndpointSlice discovery end to end: the real gateway lists and watches a stand-in Kubernetes API server
/// on 127.0.0.1 and proxies to real Kestrel backends, as pods come, fail readiness, terminate and go.
/// </summary>
public sealed class EndpointSliceDiscoveryTests
{
    [Fact]
    public async Task Watch_PodsAddedNotReadyAndRemoved_OnlyReadyPodsGetRequests()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Put(Slices.ForPod("a", new Uri(a.Url)));
        await using var gateway = await DiscoveryGateway.StartAsync(Discovery(api));

        await gateway.WaitForDestinationsAsync("a");
        Assert.Equal(["a", "a"], await gateway.GetAsync(2));

        api.Put(Slices.ForPod("b", new Uri(b.Url)));
        await gateway.WaitForDestinationsAsync("a", "b");
        Assert.Equal(["a", "b"], (await gateway.GetAsync(4)).Distinct().Order());

        api.Put(Slices.ForPod("b", new Uri(b.Url), ready: false));
        await gateway.WaitForDestinationsAsync("a");
        b.ResetHits();
        Assert.Equal(["a"], (await gateway.GetAsync(4)).Distinct());
        Assert.Equal(0, b.Hits);

        api.Delete("workers-a");
        api.Delete("workers-b");
        await gateway.WaitForDestinationsAsync();
        using var none = await gateway.Proxy.GetAsync("/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
    }

    [Fact]
    public async Task Watch_PodTerminatingWithRequestInFlight_RequestFinishesAndNewOnesGoElsewhere()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Put(Slices.ForPod("a", new Uri(a.Url)));
        await using var gateway = await DiscoveryGateway.StartAsync(Discovery(api));
        await gateway.WaitForDestinationsAsync("a");

        a.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = gateway.Proxy.GetAsync("/");
        await WaitForAsync(() => a.Hits == 1);

        // Kubernetes deletes pod a (its preStop runs, the slice marks it terminating) and has started pod b.
        api.Put(Slices.ForPod("b", new Uri(b.Url)));
        api.Put(Slices.ForPod("a", new Uri(a.Url), ready: false, terminating: true));
        await gateway.WaitForDestinationsAsync("b");
        Assert.Equal(["b", "b", "b"], await gateway.GetAsync(3));

        a.Gate.SetResult();
        using var drained = await inFlight;
        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        Assert.Equal("a", await drained.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Watch_ConnectionBreaks_ResumesFromTheLastResourceVersionWithoutListingAgain()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Put(Slices.ForPod("a", new Uri(a.Url)));
        await using var gateway = await DiscoveryGateway.StartAsync(Discovery(api));
        await gateway.WaitForDestinationsAsync("a");
        await WaitForAsync(() => api.OpenWatches == 1);

        api.BreakWatches();
        api.Put(Slices.ForPod("b", new Uri(b.Url))); // happens while nobody watches

        await gateway.WaitForDestinationsAsync("a", "b");
        Assert.Equal(["a", "b"], (await gateway.GetAsync(4)).Distinct().Order());
        var requests = api.Requests.ToList();
        Assert.Single(requests, r => !r.Contains("watch=true", StringComparison.Ordinal));
        Assert.Contains(requests.Where(r => r.Contains("watch=true", StringComparison.Ordinal)).Skip(1), r => r.Contains("resourceVersion=101", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_ResourceVersionGone_ListsAgain()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Put(Slices.ForPod("a", new Uri(a.Url)));
        await using var gateway = await DiscoveryGateway.StartAsync(Discovery(api));
        await gateway.WaitForDestinationsAsync("a");
        await WaitForAsync(() => api.OpenWatches == 1);

        // While nobody watches (the gateway waits 1 s before it watches again), b comes, a goes, and the
        // server compacts its history past both: resuming from what the gateway saw last is no longer possible.
        api.BreakWatches();
        api.Put(Slices.ForPod("b", new Uri(b.Url)));
        api.Delete("workers-a");
        api.ForgetHistory();

        await gateway.WaitForDestinationsAsync("b");
        Assert.Equal(2, api.Requests.Count(r => !r.Contains("watch=true", StringComparison.Ordinal)));
        Assert.Equal(["b", "b"], await gateway.GetAsync(2));
    }

    [Fact]
    public async Task Readyz_ApiServerUnreachable_503NamingTheClusterAndStillLive()
    {
        using var deadPort = new Benchmarks.Local.ReservedDeadPort(); // nothing listens there, nor can while held
        await using var gateway = await DiscoveryGateway.StartAsync(
            $$"""{ "Source": "EndpointSlice", "Service": "{{Slices.Service}}", "Namespace": "default", "PortName": "http", "ApiServer": "{{deadPort.Url}}" }""");

        using var waiting = await gateway.Admin.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, waiting.StatusCode);
        Assert.Contains("models", await waiting.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var live = await gateway.Admin.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Readyz_AfterTheFirstList_200()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        await using var gateway = await DiscoveryGateway.StartAsync(Discovery(api));

        await WaitForAsync(() => api.OpenWatches == 1);
        using var ready = await gateway.Admin.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static string Discovery(FakeKubernetesApi api) =>
        $$"""{ "Source": "EndpointSlice", "Service": "{{Slices.Service}}", "Namespace": "default", "PortName": "http", "ApiServer": "{{api.Url}}" }""";

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
