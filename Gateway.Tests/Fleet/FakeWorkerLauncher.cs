using System.Collections.Concurrent;
using Gateway.Fleet;

namespace Gateway.Tests.Fleet;

/// <summary>The supervisor's launcher seam with fake workers; <see cref="Configure"/> shapes each new one by its id.</summary>
internal sealed class FakeWorkerLauncher(bool workersDieWithGateway = true) : IWorkerLauncher
{
    public ConcurrentDictionary<string, FakeFleetWorker> Started { get; } = new();

    public ProbeCounter Probes { get; } = new();

    public Action<FakeFleetWorker> Configure { get; init; } = _ => { };

    public bool WorkersDieWithGateway => workersDieWithGateway;

    public async Task<IFleetWorker> StartAsync(string id, CancellationToken cancellationToken)
    {
        var worker = await FakeFleetWorker.StartAsync(id, Probes);
        Configure(worker);
        Started[id] = worker;
        return worker;
    }

    public void Dispose()
    {
    }
}
