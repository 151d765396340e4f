using Gateway.Discovery;

namespace Gateway.Tests.Discovery;

public sealed class EndpointSliceDestinationsTests
{
    private static readonly DiscoveryOptions s_http = new() { Source = DiscoverySource.EndpointSlice, Service = Slices.Service, PortName = "http" };

    [Fact]
    public void From_ReadyNotReadyTerminating_OnlyReadyPodsAreDestinations()
    {
        var slice = Slices.Of("workers-a", "IPv4", [Slices.Port("http", 8000)],
            Slices.Pod("ready", "10.0.0.1"),
            Slices.Pod("probe-failing", "10.0.0.2", ready: false),
            Slices.Pod("terminating", "10.0.0.3", ready: false, terminating: true),
            Slices.Pod("terminating-still-ready", "10.0.0.4", ready: true, terminating: true),
            Slices.Pod("no-conditions", "10.0.0.5", ready: null, terminating: null));

        var destinations = EndpointSliceDestinations.From([slice], s_http);

        Assert.Equal(["no-conditions", "ready"], destinations.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("http://10.0.0.1:8000", destinations["ready"].Address);
    }

    [Fact]
    public void From_PortByNameNumberOrOnlyOne_PicksThatPort()
    {
        var twoPorts = Slices.Of("a", "IPv4", [Slices.Port("metrics", 9000), Slices.Port("http", 8000)], Slices.Pod("p", "10.0.0.1"));
        var onePort = Slices.Of("b", "IPv4", [Slices.Port("web", 7000)], Slices.Pod("q", "10.0.0.2"));

        Assert.Equal("http://10.0.0.1:8000", EndpointSliceDestinations.From([twoPorts], s_http)["p"].Address);
        Assert.Equal("http://10.0.0.1:9000", EndpointSliceDestinations.From([twoPorts], s_http with { PortName = null, Port = 9000 })["p"].Address);
        Assert.Equal("http://10.0.0.2:7000", EndpointSliceDestinations.From([onePort], s_http with { PortName = null })["q"].Address);
    }

    [Fact]
    public void From_SliceWithoutTheWantedPort_IsSkippedAndReported()
    {
        var slice = Slices.Of("workers-x", "IPv4", [Slices.Port("grpc", 9000)], Slices.Pod("p", "10.0.0.1"));
        var skipped = new List<string>();

        var destinations = EndpointSliceDestinations.From([slice], s_http, skipped.Add);

        Assert.Empty(destinations);
        Assert.Equal(["workers-x"], skipped);
    }

    [Fact]
    public void From_DualStackPod_IsOneDestinationOnItsIPv4Address()
    {
        var v6 = Slices.Of("workers-v6", "IPv6", [Slices.Port("http", 8000)], Slices.Pod("p", "fd00::1"), Slices.Pod("only-v6", "fd00::2"));
        var v4 = Slices.Of("workers-v4", "IPv4", [Slices.Port("http", 8000)], Slices.Pod("p", "10.0.0.1"));

        var destinations = EndpointSliceDestinations.From([v6, v4], s_http with { Scheme = "https" });

        Assert.Equal("https://10.0.0.1:8000", destinations["p"].Address);
        Assert.Equal("https://[fd00::2]:8000", destinations["only-v6"].Address);
    }
}
