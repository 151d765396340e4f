using Benchmarks.Sim.Scenario;

namespace Gateway.Tests.Simulation;

/// <summary>Scenarios for the simulator tests: the shipped files, and single-station queues with known theory.</summary>
internal static class SimScenarios
{
    public static SimScenario Shipped(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LbProxy.sln")))
        {
            dir = dir.Parent;
        }

        return SimScenario.Load(Path.Combine(dir!.FullName, "benchmarks", "scenarios", name + ".json"));
    }

    /// <summary>One M/M/c station: Poisson arrivals at <paramref name="rate"/>, exponential service with mean
    /// <paramref name="meanService"/>, no timeout or queue limit that could cut the queue short.</summary>
    public static SimScenario Station(int servers, double rate, double meanService, double duration) => new()
    {
        Name = $"mm{servers}",
        Duration = duration,
        Timeout = 1e6,
        Destinations = [new DestinationGroup { Count = 1, Servers = servers, ServiceTime = new ServiceTimeSpec { Kind = "exponential", Mean = meanService } }],
        Arrivals = new ArrivalSpec { Rate = rate },
    };
}
