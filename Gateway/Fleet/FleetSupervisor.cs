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
/// Keeps the local fleet at its target size: starts workers on free loopback ports and puts each in rotation
/// once its /ready answers; replaces a worker that exits or fails its liveness check (with exponential backoff,
/// and a crash loop reported loudly, never hidden); drains a worker being removed (out of rotation, in-flight
/// finished, SIGTERM, SIGKILL after the grace period); stops every worker when the gateway stops.
/// </summary>
internal sealed partial class FleetSupervisor(FleetOptions options, ConfigState config, DestinationStatsRegistry stats,
    IProxyStateLookup proxyState, ILogger<FleetSupervisor> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private readonly ProcessSpawner _spawner = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly List<Slot> _workers = [];
    private readonly Lock _lock = new();
    private readonly List<DateTimeOffset> _recentRestarts = [];
    private readonly TaskCompletionSource _initialReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _target = options.Autoscale.Enabled
        ? Math.Clamp(options.Workers, options.Autoscale.MinReplicas, options.Autoscale.EffectiveMax)
        : options.Workers;
    private int _nextId;
    private string _workerDll = "";
    private string _model = "";
    private DateTimeOffset _nextStartAllowed = DateTimeOffset.MinValue;
    private TimeSpan _backoff = TimeSpan.FromSeconds(1);

    public FleetOptions Options => options;

    public int Target => Volatile.Read(ref _target);

    /// <summary>Completes when the first target-size fleet is in rotation (or start-up failed).</summary>
    public Task InitialReady => _initialReady.Task;

    public IReadOnlyList<FleetWorkerInfo> Workers
    {
        get
        {
            lock (_lock)
            {
                return _workers.Select(w => new FleetWorkerInfo(w.Process.Id, w.Process.Pid, w.Process.Port, w.Process.Device, w.State.ToString()))
                    .ToList();
            }
        }
    }

    internal IReadOnlyList<WorkerProcess> ReadyProcesses()
    {
        lock (_lock)
        {
            return _workers.Where(w => w.State == SlotState.Ready).Select(w => w.Process).ToList();
        }
    }

    public void SetTarget(int replicas) => Volatile.Write(ref _target, Math.Max(0, replicas));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            _workerDll = await WorkerLocator.FindOrBuildAsync(options.WorkerPath, logger, stoppingToken);
            _model = options.Model is null ? WorkerLocator.BundledModelPath(_workerDll) : Path.GetFullPath(options.Model);
            if (!File.Exists(_model))
            {
                throw new FileNotFoundException($"the fleet's model does not exist: {_model}");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStartFailed(logger, ex.Message);
            _initialReady.TrySetException(ex);
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            await ReconcileAsync(stoppingToken);
            try
            {
                await Task.Delay(Tick, stoppingToken);
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
        List<Slot> all;
        lock (_lock)
        {
            all = [.. _workers];
            _workers.Clear();
        }

        Publish();
        await Task.WhenAll(all.Select(w => w.Process.StopAsync(TimeSpan.FromSeconds(options.DrainSeconds))));
        foreach (var w in all)
        {
            await w.Process.DisposeAsync();
        }

        _spawner.Dispose();
        _http.Dispose();
        _initialReady.TrySetCanceled(cancellationToken);
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        // 1. Workers that died or stopped answering: out of rotation, to be replaced.
        foreach (var slot in Snapshot())
        {
            if (slot.State is SlotState.Draining)
            {
                continue;
            }

            if (slot.Process.HasExited)
            {
                LogExited(logger, slot.Process.Id, slot.Process.Pid, slot.Process.ExitCode);
                await Remove(slot, drain: false);
                NoteRestart();
                continue;
            }

            if (slot.State == SlotState.Ready && !await AliveAsync(slot, ct) && ++slot.LivenessFailures >= options.LivenessFailures)
            {
                LogUnresponsive(logger, slot.Process.Id, slot.Process.Pid, slot.LivenessFailures);
                await Remove(slot, drain: false);
                NoteRestart();
            }
        }

        // 2. Too few: start more (respecting the backoff after failures).
        var live = Snapshot().Count(w => w.State != SlotState.Draining);
        if (live < Target && DateTimeOffset.UtcNow >= NextStartAllowed())
        {
            var starts = Enumerable.Range(0, Target - live).Select(_ => StartOneAsync(ct)).ToList();
            await Task.WhenAll(starts);
        }

        // 3. Too many: drain the newest (scale-down keeps the warmest workers).
        var ready = Snapshot().Where(w => w.State == SlotState.Ready).ToList();
        var surplus = Snapshot().Count(w => w.State != SlotState.Draining) - Target;
        foreach (var slot in ready.OrderByDescending(w => w.Process.StartedAt).Take(Math.Max(0, surplus)))
        {
            _ = Remove(slot, drain: true);
        }

        if (!_initialReady.Task.IsCompleted && ready.Count >= Math.Min(Target, 1) && ready.Count >= Target)
        {
            _initialReady.TrySetResult();
        }
    }

    private async Task StartOneAsync(CancellationToken ct)
    {
        var id = $"worker-{Interlocked.Increment(ref _nextId)}";
        WorkerProcess process;
        try
        {
            process = await WorkerProcess.StartAsync(_spawner, id, _workerDll, _model, options.WorkerArgs, logger);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStartFailed(logger, ex.Message);
            NoteRestart();
            return;
        }

        var slot = new Slot(process);
        lock (_lock)
        {
            _workers.Add(slot);
        }

        var deadline = DateTimeOffset.UtcNow.AddSeconds(options.StartTimeoutSeconds);
        while (!ct.IsCancellationRequested && !process.HasExited && DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                using var ready = await _http.GetAsync($"{process.Address}/ready", ct);
                if (ready.IsSuccessStatusCode)
                {
                    process.Device = await DeviceAsync(process, ct);
                    slot.State = SlotState.Ready;
                    Publish();
                    lock (_lock)
                    {
                        _backoff = TimeSpan.FromSeconds(1);
                    }

                    LogReady(logger, id, process.Pid, process.Port, process.Device);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }

            await Task.Delay(200, ct);
        }

        if (!ct.IsCancellationRequested)
        {
            LogNeverReady(logger, id, process.Pid, options.StartTimeoutSeconds, process.ExitCode);
            await Remove(slot, drain: false);
            NoteRestart();
        }
    }

    private async Task<bool> AliveAsync(Slot slot, CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync($"{slot.Process.Address}/health", ct);
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

    private async Task<string> DeviceAsync(WorkerProcess process, CancellationToken ct)
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

    /// <summary>Out of rotation; when draining, wait for in-flight requests (up to the grace period) before SIGTERM.</summary>
    private async Task Remove(Slot slot, bool drain)
    {
        slot.State = SlotState.Draining;
        Publish();
        if (drain)
        {
            LogDraining(logger, slot.Process.Id, slot.Process.Pid);
            var deadline = DateTimeOffset.UtcNow.AddSeconds(options.DrainSeconds);
            while (InFlight(slot.Process.Id) > 0 && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        await slot.Process.StopAsync(TimeSpan.FromSeconds(options.DrainSeconds));
        lock (_lock)
        {
            _workers.Remove(slot);
        }

        await slot.Process.DisposeAsync();
    }

    private long InFlight(string destinationId)
    {
        var cluster = proxyState.GetClusters().FirstOrDefault(c => c.ClusterId == options.ClusterId);
        return cluster is not null && cluster.Destinations.TryGetValue(destinationId, out var d) ? stats.Get(cluster, d).InFlight : 0;
    }

    /// <summary>Backoff doubles per failure (1 s .. 30 s); five restarts within a minute is a crash loop, said out loud.</summary>
    private void NoteRestart()
    {
        var now = DateTimeOffset.UtcNow;
        lock (_lock)
        {
            _recentRestarts.Add(now);
            _recentRestarts.RemoveAll(t => now - t > TimeSpan.FromMinutes(1));
            if (_recentRestarts.Count >= 5)
            {
                LogCrashLoop(logger, _recentRestarts.Count, _backoff.TotalSeconds);
            }

            // Under the lock: several starts may fail at once (Task.WhenAll), and a DateTimeOffset is not written
            // atomically.
            _nextStartAllowed = now + _backoff;
            _backoff = TimeSpan.FromSeconds(Math.Min(30, _backoff.TotalSeconds * 2));
        }
    }

    private DateTimeOffset NextStartAllowed()
    {
        lock (_lock)
        {
            return _nextStartAllowed;
        }
    }

    private void Publish()
    {
        Dictionary<string, DestinationConfig> destinations;
        lock (_lock)
        {
            destinations = _workers.Where(w => w.State == SlotState.Ready)
                .ToDictionary(w => w.Process.Id, w => new DestinationConfig { Address = w.Process.Address });
        }

        config.SetDynamicDestinations(options.ClusterId, destinations);
    }

    private List<Slot> Snapshot()
    {
        lock (_lock)
        {
            return [.. _workers];
        }
    }

    private sealed class Slot(WorkerProcess process)
    {
        public WorkerProcess Process { get; } = process;

        public volatile SlotState State = SlotState.Starting;

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

    [LoggerMessage(EventId = 324, Level = LogLevel.Error, Message = "Fleet: crash loop: {Count} worker restarts in the last minute; next start in {Backoff} s. Check the worker lines above.")]
    private static partial void LogCrashLoop(ILogger logger, int count, double backoff);

    [LoggerMessage(EventId = 325, Level = LogLevel.Information, Message = "Fleet: draining {Worker} (pid {Pid}): out of rotation, finishing in-flight requests.")]
    private static partial void LogDraining(ILogger logger, string worker, int pid);

    [LoggerMessage(EventId = 326, Level = LogLevel.Error, Message = "Fleet: cannot start workers: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);
}

/// <summary>A worker as the banner and /status show it.</summary>
public sealed record FleetWorkerInfo(string Id, int Pid, int Port, string Device, string State);
