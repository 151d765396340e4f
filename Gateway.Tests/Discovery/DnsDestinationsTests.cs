using System.Net;
using Gateway.Discovery;

namespace Gateway.Tests.Discovery;

public sealed class DnsDestinationsTests
{
    [Fact]
    public void From_IPv4AndIPv6Records_OneDestinationEachWithTheNameAsHost()
    {
        var options = new DiscoveryOptions { Host = "workers.default.svc.cluster.local", Port = 8000 };

        var destinations = DnsDestinations.From([IPAddress.Parse("10.0.0.7"), IPAddress.Parse("fd00::7"), IPAddress.Parse("10.0.0.7")], options);

        Assert.Equal(2, destinations.Count);
        Assert.Equal("http://10.0.0.7:8000", destinations["10.0.0.7:8000"].Address);
        Assert.Equal("http://[fd00::7]:8000", destinations["[fd00::7]:8000"].Address);
        Assert.All(destinations.Values, d => Assert.Equal("workers.default.svc.cluster.local", d.Host));
    }
}
