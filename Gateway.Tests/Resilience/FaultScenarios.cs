namespace Gateway.Tests.Resilience;

/// <summary>
/// The fault scenarios run one at a time and apart from every other test: each drives 200 requests/s through
/// real processes on a 2-core machine, and a neighbour's load would blur the times they measure. (.ci/test.sh
/// also runs them in a test run of their own, after the rest of the suite.) The thread pool's room for a load
/// driver and a gateway in one process is TestHostThreadPool's.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultScenarios
{
    public const string Name = "Resilience";
}
