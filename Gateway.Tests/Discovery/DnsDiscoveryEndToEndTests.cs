using System.Net;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Discovery;

/// <summary>DNS discovery end to end: the real gateway, a real backend on 127.0.0.1, lookups answered by the test.</summary>
public sealed class DnsDiscoveryEndToEndTests
{
    [Fact]
    public async Task Refresh_AddressRemovedWithRequestInFlight_RequestFinishesNewOnesFindNoDestination()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var port = new Uri(backend.Url).Port;
        var resolver = new FakeHostResolver();
        resolver.Answer("127.0.0.1");
        await using var gateway = await DiscoveryGateway.StartAsync(
            $$"""{ "Source": "Dns", "Host": "workers.default.svc.cluster.local", "Port": {{port}}, "RefreshSeconds": 0.2 }""", resolver);
        await gateway.WaitForDestinationsAsync($"127.0.0.1:{port}");
        Assert.Equal(["a"], await gateway.GetAsync(1));

        backend.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = gateway.Proxy.GetAsync("/");
        for (var i = 0; i < 1500 && backend.Hits < 2; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(2, backend.Hits);

        resolver.Answer();
        await gateway.WaitForDestinationsAsync();
        using (var none = await gateway.Proxy.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
        }

        backend.Gate.SetResult();
        using var drained = await inFlight;
        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);

        resolver.Answer("127.0.0.1");
        await gateway.WaitForDestinationsAsync($"127.0.0.1:{port}");
        Assert.Equal(["a"], await gateway.GetAsync(1));
    }

    [Fact]
    public async Task Readyz_FirstAnswerThenShutdown_ReadyThen503()
    {
        var resolver = new FakeHostResolver();
        resolver.Answer("127.0.0.1");
        using var port = new Benchmarks.Local.ReservedDeadPort(); // a port of this test's own (no fixed port: the machine is shared)
        await using var gateway = await DiscoveryGateway.StartAsync(
            $$"""{ "Source": "Dns", "Host": "workers.default.svc.cluster.local", "Port": {{port.Port}} }""", resolver);
        await gateway.WaitForDestinationsAsync(port.Authority);

        using (var ready = await gateway.Admin.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // SIGTERM's first effect: the application is stopping. The Service must stop sending before the drain ends.
        gateway.Host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        using var stopping = await gateway.Admin.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopping.StatusCode);
        Assert.Equal("stopping\n", await stopping.Content.ReadAsStringAsync());
    }
}
