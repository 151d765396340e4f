using Microsoft.Extensions.Logging;

namespace Gateway.Fleet;

/// <summary>Starts ModelWorker processes (`dotnet ModelWorker.dll --urls ... --model ...`) through the long-lived spawner thread.</summary>
internal sealed class ProcessWorkerLauncher(string workerDll, string model, IReadOnlyList<string> extraArgs, TimeProvider time, ILogger logger,
    bool grpc = false)
    : IWorkerLauncher
{
    private readonly ProcessSpawner _spawner = new();

    public bool WorkersDieWithGateway => ProcessSpawner.TiesChildren;

    public async Task<IFleetWorker> StartAsync(string id, CancellationToken cancellationToken) =>
        await WorkerProcess.StartAsync(_spawner, id, workerDll, model, extraArgs, time, logger, grpc);

    public void Dispose() => _spawner.Dispose();
}
