using Gateway.Config;
using Gateway.Health;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Health;

public sealed class CircuitBreakersTests
{
    private static ClusterState Cluster() =>
        new("c", new ClusterModel(new Yarp.ReverseProxy.Configuration.ClusterConfig { ClusterId = "c" }, new HttpMessageInvoker(new HttpClientHandler())));

    [Fact]
    public void Get_FirstRequestsArriveTogether_AllShareOneBreaker()
    {
        // The first requests to a destination arrive together; a breaker each would leave all but one's outcomes
        // uncounted. 8 threads released at once, 200 fresh destinations.
        var breakers = new CircuitBreakers(TestSettings.With(new ResilienceOptions()), new FakeHealthUpdater(), TimeProvider.System);
        var cluster = Cluster();
        for (var round = 0; round < 200; round++)
        {
            var destination = new DestinationState($"d{round}");
            using var start = new Barrier(8);
            var seen = new DestinationCircuitBreaker?[8];
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                start.SignalAndWait();
                seen[i] = breakers.Get(cluster, destination);
            });

            Assert.All(seen, b => Assert.Same(breakers.Find(destination), b));
        }
    }
}
