namespace Gateway.Fleet;

/// <summary>Starts fleet workers; the supervisor's one seam to the operating system.</summary>
internal interface IWorkerLauncher : IDisposable
{
    /// <summary>False when a worker would outlive a gateway that is killed (no parent-death signal: setpriv missing).</summary>
    bool WorkersDieWithGateway { get; }

    Task<IFleetWorker> StartAsync(string id, CancellationToken cancellationToken);
}
