using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Config;
using Gateway.LoadBalancing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Fleet;

/// <summary>
/// Keeps the local fleet at its target size: starts workers on loopback port 0, takes the addresses each reports
/// (<see cref="WorkerListening"/>) and puts it in rotation once its /ready answers there; replaces a worker that exits
/// or fails its liveness check (/health, which also fails when a model Run hangs) with exponential backoff, and a crash
/// loop reported loudly, never hidden; drains a worker being removed (out of rotation, in-flight finished, SIGTERM,
/// SIGKILL after the grace period); stops every worker when the gateway stops. One reconcile pass a second: it never
/// waits for a start or a removal (those run on their own), probes every worker at once, and survives any exception
/// (logged; the next pass tries again).
/// </summary>
internal sealed partial class FleetSupervisor(FleetOptions options, ConfigState config, DestinationStatsRegistry stats,
    IProxyStateLookup proxyState, TimeProvider time, ILogger<FleetSupervisor> logger, IWorkerLauncher? launcher = null) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReadyPoll = TimeSpan.FromMilliseconds(200);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly List<Slot> _workers = [];
    private readonly HashSet<Task> _background = [];
    private readonly Lock _lock = new();
    private readonly RestartBackoff _backoff = new(time);
    private readonly TaskCompletionSource _initialReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IWorkerLauncher? _launcher = launcher;
    private int _target = options.Autoscale.Enabled
        ? Math.Clamp(options.Workers, options.Autoscale.MinReplicas, options.Autoscale.EffectiveMax)
        : options.Workers;
    private int _nextId;
    private int _pendingStarts;

    public FleetOptions Options => options;

    public int Target => Volatile.Read(ref _target);

    /// <summary>Completes when the first target-size fleet is in rotation (or start-up failed).</summary>
    public Task InitialReady => _initialReady.Task;

    /// <summary>False when workers would outlive a killed gateway (setpriv missing); null until the launcher is known.</summary>
    public bool? WorkersDieWithGateway => _launcher?.WorkersDieWithGateway;

    public IReadOnlyList<FleetWorkerInfo> Workers
    {
        get
        {
            lock (_lock)
            {
                return _workers.Select(w => new FleetWorkerInfo(w.Worker.Id, w.Worker.Pid, w.Worker.Port, w.Worker.Device, w.State.ToString()))
                    .ToList();
            }
        }
    }

    internal IReadOnlyList<IFleetWorker> ReadyProcesses()
    {
        lock (_lock)
        {
            return _workers.Where(w => w.State == SlotState.Ready).Select(w => w.Worker).ToList();
        }
    }

    public void SetTarget(int replicas) => Volatile.Write(ref _target, Math.Max(0, replicas));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            _launcher ??= await CreateProcessLauncherAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStartFailed(logger, ex.Message);
            _initialReady.TrySetException(ex);
            return;
        }

        if (!_launcher.WorkersDieWithGateway)
        {
            LogNotTied(logger);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(stoppingToken);
            }
#pragma warning disable CA1031 // The supervisor must outlive any one bad pass: log it, try again next tick.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                LogReconcileFailed(logger, ex);
            }

            try
            {
                await Task.Delay(Tick, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // Stop the workers in service while the removals under way finish (within their grace period) and the
        // starts end at the cancelled token; then stop what those starts brought up meanwhile.
        var grace = TimeSpan.FromSeconds(options.DrainSeconds);
        List<Slot> serving;
        Task[] background;
        lock (_lock)
        {
            serving = _workers.Where(w => w.State != SlotState.Draining).ToList();
            _workers.RemoveAll(serving.Contains);
            background = [.. _background];
        }

        Publish();
        await Task.WhenAll(serving.Select(w => w.Worker.StopAsync(grace)).Concat(background))
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        List<Slot> late;
        lock (_lock)
        {
            late = [.. _workers];
            _workers.Clear();
        }

        await Task.WhenAll(late.Select(w => w.Worker.StopAsync(grace)));
        foreach (var w in serving.Concat(late))
        {
            await w.Worker.DisposeAsync();
        }

        _launcher?.Dispose();
        _http.Dispose();
        _initialReady.TrySetCanceled(cancellationToken);
    }

    private async Task<IWorkerLauncher> CreateProcessLauncherAsync(CancellationToken ct)
    {
        var workerDll = await WorkerLocator.FindOrBuildAsync(options.WorkerPath, logger, ct);
        var model = options.Model is null ? WorkerLocator.BundledModelPath(workerDll) : Path.GetFullPath(options.Model);
        if (!File.Exists(model))
        {
            throw new FileNotFoundException($"the fleet's model does not exist: {model}");
        }

        IReadOnlyList<string> args = options.ModelRepository is { } repository
            ? [.. options.WorkerArgs, "--model-repository", Path.GetFullPath(repository)]
            : options.WorkerArgs;
        return new ProcessWorkerLauncher(workerDll, model, args, time, logger, grpc: options.GrpcClusterId is not null);
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        // 1. Workers that died: out of rotation, to be replaced.
        foreach (var slot in Snapshot().Where(s => s.State is not SlotState.Draining && s.Worker.HasExited))
        {
            LogExited(logger, slot.Worker.Id, slot.Worker.Pid, slot.Worker.ExitCode);
            if (BeginRemove(slot, drain: false))
            {
                NoteFailure();
            }
        }

        // 2. Liveness of every ready worker at once: N hung workers cost one probe timeout, not N.
        var ready = Snapshot().Where(s => s.State == SlotState.Ready).ToList();
        var alive = await Task.WhenAll(ready.Select(s => AliveAsync(s, ct)));
        for (var i = 0; i < ready.Count; i++)
        {
            var slot = ready[i];
            if (!alive[i] && ++slot.LivenessFailures >= options.LivenessFailures && slot.State == SlotState.Ready)
            {
                LogUnresponsive(logger, slot.Worker.Id, slot.Worker.Pid, slot.LivenessFailures);
                if (BeginRemove(slot, drain: false))
                {
                    NoteFailure();
                }
            }
        }

        // 3. Too few: start more (after the backoff that follows failures). Starts run on their own: a worker that
        // takes its whole start timeout never holds up the next pass.
        var live = Snapshot().Count(w => w.State != SlotState.Draining) + Volatile.Read(ref _pendingStarts);
        if (live < Target && _backoff.CanStart)
        {
            for (var i = live; i < Target; i++)
            {
                Interlocked.Increment(ref _pendingStarts);
                Track(StartOneAsync(ct));
            }
        }

        // 4. Too many: drain the newest (scale-down keeps the warmest workers).
        ready = Snapshot().Where(w => w.State == SlotState.Ready).ToList();
        var surplus = Snapshot().Count(w => w.State != SlotState.Draining) - Target;
        foreach (var slot in ready.OrderByDescending(w => w.Worker.StartedAt).Take(Math.Max(0, surplus)))
        {
            _ = BeginRemove(slot, drain: true);
        }

        if (!_initialReady.Task.IsCompleted && ready.Count >= Target)
        {
            _initialReady.TrySetResult();
        }
    }

    private async Task StartOneAsync(CancellationToken ct)
    {
        var id = $"worker-{Interlocked.Increment(ref _nextId)}";
        Slot slot;
        try
        {
            var worker = await _launcher!.StartAsync(id, ct);
            slot = new Slot(worker);
            lock (_lock)
            {
                _workers.Add(slot);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStartFailed(logger, ex.Message);
            NoteFailure();
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _pendingStarts);
        }

        var process = slot.Worker;
        var started = time.GetTimestamp();
        var limit = TimeSpan.FromSeconds(options.StartTimeoutSeconds);
        while (!ct.IsCancellationRequested && !process.HasExited && time.GetElapsedTime(started) < limit)
        {
            if (!process.Listening.IsCompletedSuccessfully)
            {
                // Not bound yet: it asked the kernel for a port and reports the one it got (WorkerListening).
                await Task.Delay(ReadyPoll, time, ct);
                continue;
            }

            try
            {
                using var response = await _http.GetAsync($"{process.Address}/ready", ct);
                if (response.IsSuccessStatusCode)
                {
                    process.Device = await DeviceAsync(process, ct);
                    slot.State = SlotState.Ready;
                    Publish();
                    _backoff.Succeeded();
                    LogReady(logger, id, process.Pid, process.Port, process.Device);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }

            await Task.Delay(ReadyPoll, time, ct);
        }

        if (!ct.IsCancellationRequested && slot.State == SlotState.Starting)
        {
            if (process.Listening.IsCompletedSuccessfully)
            {
                LogNeverReady(logger, id, process.Pid, options.StartTimeoutSeconds, process.ExitCode);
            }
            else
            {
                LogNeverListening(logger, id, process.Pid, options.StartTimeoutSeconds, process.ExitCode);
            }

            if (BeginRemove(slot, drain: false))
            {
                NoteFailure();
            }
        }
    }

    private async Task<bool> AliveAsync(Slot slot, CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync($"{slot.Worker.Address}/health", ct);
            if (response.IsSuccessStatusCode)
            {
                slot.LivenessFailures = 0;
                return true;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
        }

        return false;
    }

    private async Task<string> DeviceAsync(IFleetWorker process, CancellationToken ct)
    {
        try
        {
            var health = await _http.GetFromJsonAsync<JsonElement>($"{process.Address}/health", ct);
            return health.TryGetProperty("device", out var device) ? device.GetString() ?? "?" : "?";
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException)
        {
            return "?";
        }
    }

    /// <summary>
    /// Out of rotation at once; the drain, SIGTERM and SIGKILL run on their own so the next pass is not held up.
    /// False when the slot is already being removed (a start and a pass may both see the same exit).
    /// </summary>
    private bool BeginRemove(Slot slot, bool drain)
    {
        if (Interlocked.Exchange(ref slot.Removing, 1) == 1)
        {
            return false;
        }

        slot.State = SlotState.Draining;
        Publish();
        Track(RemoveAsync(slot, drain));
        return true;
    }

    /// <summary>When draining, waits for in-flight requests (up to the grace period) before SIGTERM.</summary>
    private async Task RemoveAsync(Slot slot, bool drain)
    {
        var grace = TimeSpan.FromSeconds(options.DrainSeconds);
        if (drain)
        {
            LogDraining(logger, slot.Worker.Id, slot.Worker.Pid);
            var started = time.GetTimestamp();
            while (InFlight(slot.Worker.Id) > 0 && time.GetElapsedTime(started) < grace)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time);
            }
        }

        await slot.Worker.StopAsync(grace);
        bool removed;
        lock (_lock)
        {
            removed = _workers.Remove(slot);
        }

        if (removed) // StopAsync of the gateway may have taken it already
        {
            await slot.Worker.DisposeAsync();
        }
    }

    /// <summary>Runs a start or a removal on its own; an exception in it is logged, never lost or fatal.</summary>
    private void Track(Task task)
    {
        lock (_lock)
        {
            _background.Add(task);
        }

        _ = ObserveAsync(task);
    }

    private async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The gateway is stopping.
        }
#pragma warning disable CA1031 // Logged and survived: a start or a removal must never take the gateway down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogReconcileFailed(logger, ex);
        }
        finally
        {
            lock (_lock)
            {
                _background.Remove(task);
            }
        }
    }

    private long InFlight(string destinationId)
    {
        var cluster = proxyState.GetClusters().FirstOrDefault(c => c.ClusterId == options.ClusterId);
        return cluster is not null && cluster.Destinations.TryGetValue(destinationId, out var d) ? stats.Get(cluster, d).InFlight : 0;
    }

    private void NoteFailure()
    {
        var decision = _backoff.Failed();
        if (decision.CrashLoop)
        {
            LogCrashLoop(logger, decision.RecentFailures, decision.Wait.TotalSeconds);
        }
    }

    private void Publish()
    {
        Dictionary<string, DestinationConfig> destinations;
        Dictionary<string, DestinationConfig> grpc;
        lock (_lock)
        {
            var ready = _workers.Where(w => w.State == SlotState.Ready).ToList();
            destinations = ready.ToDictionary(w => w.Worker.Id, w => new DestinationConfig { Address = w.Worker.Address });
            // With GrpcClusterId the same workers by their gRPC ports, in and out of rotation with their HTTP side.
            grpc = ready.Where(w => w.Worker.GrpcAddress is not null)
                .ToDictionary(w => w.Worker.Id, w => new DestinationConfig { Address = w.Worker.GrpcAddress! });
        }

        config.SetDynamicDestinations(options.ClusterId, destinations);
        if (options.GrpcClusterId is { } grpcCluster)
        {
            config.SetDynamicDestinations(grpcCluster, grpc);
        }
    }

    private List<Slot> Snapshot()
    {
        lock (_lock)
        {
            return [.. _workers];
        }
    }

    private sealed class Slot(IFleetWorker worker)
    {
        public IFleetWorker Worker { get; } = worker;

        public volatile SlotState State = SlotState.Starting;

        public int Removing;

        public int LivenessFailures { get; set; }
    }

    private enum SlotState
    {
        Starting,
        Ready,
        Draining,
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "Fleet: {Worker} ready (pid {Pid}, port {Port}, device {Device}), in rotation.")]
    private static partial void LogReady(ILogger logger, string worker, int pid, int port, string device);

    [LoggerMessage(EventId = 321, Level = LogLevel.Warning, Message = "Fleet: {Worker} (pid {Pid}) exited with code {Code}; replacing it.")]
    private static partial void LogExited(ILogger logger, string worker, int pid, int? code);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "Fleet: {Worker} (pid {Pid}) failed {Failures} liveness checks in a row; replacing it.")]
    private static partial void LogUnresponsive(ILogger logger, string worker, int pid, int failures);

    [LoggerMessage(EventId = 323, Level = LogLevel.Error, Message = "Fleet: {Worker} (pid {Pid}) was not ready within {Seconds} s (exit code {Code}); replacing it.")]
    private static partial void LogNeverReady(ILogger logger, string worker, int pid, double seconds, int? code);

    [LoggerMessage(EventId = 329, Level = LogLevel.Error, Message = "Fleet: {Worker} (pid {Pid}) did not report a listening address within {Seconds} s (exit code {Code}); replacing it. Its lines above say why; a ModelWorker build older than the 'ModelWorker listening:' line never reports one (rebuild it).")]
    private static partial void LogNeverListening(ILogger logger, string worker, int pid, double seconds, int? code);

    [LoggerMessage(EventId = 324, Level = LogLevel.Error, Message = "Fleet: crash loop: {Count} worker restarts in the last minute; next start in {Backoff} s. Check the worker lines above.")]
    private static partial void LogCrashLoop(ILogger logger, int count, double backoff);

    [LoggerMessage(EventId = 325, Level = LogLevel.Information, Message = "Fleet: draining {Worker} (pid {Pid}): out of rotation, finishing in-flight requests.")]
    private static partial void LogDraining(ILogger logger, string worker, int pid);

    [LoggerMessage(EventId = 326, Level = LogLevel.Error, Message = "Fleet: cannot start workers: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 327, Level = LogLevel.Error, Message = "Fleet: the supervisor's pass failed; it keeps running and tries again in a second.")]
    private static partial void LogReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 328, Level = LogLevel.Warning, Message = "Fleet: setpriv (util-linux) is not installed: workers are not tied to the gateway's life, so if the gateway is killed (kill -9, OOM killer) they keep running. Install util-linux (apt-get install util-linux) to have them die with it.")]
    private static partial void LogNotTied(ILogger logger);
}
