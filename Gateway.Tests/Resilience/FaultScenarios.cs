namespace Gateway.Tests.Resilience;

/// <summary>
/// The fault scenarios run one at a time and apart from every other test: each drives 200 requests/s through
/// real processes on a 2-core machine, and a neighbour's load would blur the times they measure. (.ci/test.sh
/// also runs them in a test run of their own, after the rest of the suite.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultScenarios : ICollectionFixture<ThreadPoolHeadroom>
{
    public const string Name = "Resilience";
}

/// <summary>
/// The load driver and the gateway share this test process; a thread-pool that starts with two threads and grows
/// by about one a second turns a burst of failures into a process-wide stall that the timings would measure.
/// </summary>
public sealed class ThreadPoolHeadroom
{
    public ThreadPoolHeadroom()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
