namespace Gateway.Fleet;

/// <summary>One worker of the local fleet as the supervisor and autoscaler see it (a process, or a test's stand-in).</summary>
internal interface IFleetWorker : IAsyncDisposable
{
    string Id { get; }

    int Pid { get; }

    int Port { get; }

    /// <summary>Base address, e.g. http://127.0.0.1:41234; /ready, /health and /metrics are below it.</summary>
    string Address { get; }

    /// <summary>Its KServe v2 gRPC (h2c) address when the fleet serves gRPC (<see cref="FleetOptions.GrpcClusterId"/>), else null.</summary>
    string? GrpcAddress => null;

    /// <summary>
    /// Completes once <see cref="Port"/>, <see cref="Address"/> and <see cref="GrpcAddress"/> are known: a process
    /// bound to port 0 reports them when it is listening; faults when it ended without doing so.
    /// </summary>
    Task Listening => Task.CompletedTask;

    bool HasExited { get; }

    int? ExitCode { get; }

    string Device { get; set; }

    DateTimeOffset StartedAt { get; }

    /// <summary>CPU time used so far (the autoscaler's utilisation).</summary>
    TimeSpan CpuTime { get; }

    /// <summary>Asks it to finish what it has (SIGTERM) and ends it after <paramref name="grace"/> (SIGKILL).</summary>
    Task StopAsync(TimeSpan grace);
}
