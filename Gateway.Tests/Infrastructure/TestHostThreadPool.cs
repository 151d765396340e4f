using System.Runtime.CompilerServices;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Gives the test process's thread pool room before any test runs.
/// </summary>
/// <remarks>
/// The test host keeps two pool threads blocked for its whole run (vstest's message loop in Socket.Poll, and
/// xunit's RunTestsInAssembly waiting on a handle; seen in a dotnet-trace thread-time profile). The pool counts
/// them as busy, so with its minimum at the core count (2 here) a queued work item could wait for the pool's
/// starvation check, 0.5-1 s, while idle threads slept. Every test that hosts a gateway, backends or a load driver
/// in this process then measured that stall: the policy-load harness fell 0.9 s behind its schedule and a 0.5 s
/// try timeout fired on a healthy backend. A process of the product (the gateway, a worker, the benchmark
/// program) has no such blocked threads and keeps the default.
/// </remarks>
internal static class TestHostThreadPool
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The test assembly is loaded only by the test host, and the setting is for that process.")]
    internal static void GiveRoom()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
