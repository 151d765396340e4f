using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ModelWorker.Batching;
using ModelWorker.Inference;
using ModelWorker.Metrics;

namespace ModelWorker.Models;

/// <summary>
/// Serves several models by name and version: each loads on its first request (Triton's on-demand loading), gets
/// its own batcher and batch loop, and is unloaded least-recently-used first when loading another would pass
/// <see cref="ModelLimits"/>, but never while a request holds it (so never with requests in its batcher). Lookups of
/// a loaded model take no lock (a dictionary read and a lease); loads and unloads take turns behind one gate, so two
/// first requests for a model load it once.
/// </summary>
public sealed partial class ModelManager(
    ModelRepository repository,
    ModelLimits limits,
    WorkerOptions options,
    WorkerState state,
    WorkerMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggerFactory) : IDisposable
{
    private readonly ConcurrentDictionary<ModelKey, ServedModel> _loaded = new();
    private readonly ConcurrentDictionary<ModelKey, string> _failed = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _logger = loggerFactory.CreateLogger<ModelManager>();
    private volatile ServedModel? _default;
    private volatile bool _stopping;

    public ModelRepository Repository => repository;

    /// <summary>The --model one once it is loaded (it answers POST /predict); null before.</summary>
    public ServedModel? Default => _default;

    /// <summary>The models loaded now.</summary>
    public IReadOnlyCollection<ServedModel> Loaded => [.. _loaded.Values];

    /// <summary>Registers the --model one, loaded by the worker service at start; it is never unloaded.</summary>
    public void AddPinned(ServedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _loaded[model.Key] = model;
        _default = model; // its batcher is in the worker state already (WorkerState.Publish)
    }

    /// <summary>
    /// Leases the model (loading it first when needed). Dispose the lease when the request's answer is back. A model
    /// that is not ready says why in <see cref="ModelLease.Error"/>.
    /// </summary>
    public async ValueTask<ModelLease> AcquireAsync(string name, string? version, CancellationToken cancellationToken = default)
    {
        var entry = repository.Find(name, version, out var notFound);
        if (entry is null)
        {
            return ModelLease.Failed(ModelAcquireStatus.NotFound, notFound!);
        }

        if (_loaded.TryGetValue(entry.Key, out var model) && model.TryAcquire(time.GetTimestamp()))
        {
            return new ModelLease(model, ModelAcquireStatus.Acquired, null);
        }

        if (entry == repository.Default || _stopping)
        {
            return ModelLease.Failed(ModelAcquireStatus.Unavailable, _stopping
                ? "the worker is shutting down; send the request to another worker"
                : "the worker is starting: its --model is still loading; retry shortly");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await LoadAndAcquireAsync(entry).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops every batcher from taking new requests (SIGTERM); each loop finishes what is queued.</summary>
    public void StopAccepting()
    {
        _stopping = true;
        foreach (var model in _loaded.Values)
        {
            model.Batcher.Complete();
        }
    }

    /// <summary>Waits for the lazily loaded models' loops to finish their queues, then frees their sessions.</summary>
    public async Task DisposeLoadedAsync()
    {
        StopAccepting();
        foreach (var model in _loaded.Values.Where(m => !m.Pinned))
        {
            await model.UnloadAsync().ConfigureAwait(false);
        }
    }

    // Behind the gate: loads and unloads never overlap.
    private async Task<ModelLease> LoadAndAcquireAsync(ModelEntry entry)
    {
        if (_loaded.TryGetValue(entry.Key, out var model))
        {
            return model.TryAcquire(time.GetTimestamp())
                ? new ModelLease(model, ModelAcquireStatus.Acquired, null)
                : ModelLease.Failed(ModelAcquireStatus.Unavailable, "the worker is shutting down; send the request to another worker");
        }

        if (_failed.TryGetValue(entry.Key, out var reason))
        {
            return ModelLease.Failed(ModelAcquireStatus.LoadFailed, reason);
        }

        if (await MakeRoomAsync(entry).ConfigureAwait(false) is { } full)
        {
            return ModelLease.Failed(ModelAcquireStatus.LimitReached, full);
        }

        var started = time.GetTimestamp();
        OnnxBatchModel onnx;
        try
        {
            // ONNX Runtime loads synchronously; off the request's thread.
            onnx = await Task.Run(() => OnnxModelLoader.Load(entry.Path, options.Device, options.IntraOpThreads, _logger)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any load failure is this model's problem: reported to its requests, the worker keeps serving.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var message = $"model {entry.Key} ({entry.Path}) failed to load: {ex.Message}";
            _failed[entry.Key] = message;
            metrics.ModelLoaded(succeeded: false);
            LogLoadFailed(_logger, entry.Key.ToString(), ex.Message);
            return ModelLease.Failed(ModelAcquireStatus.LoadFailed, message);
        }

        var batcher = new Batcher(onnx, options.Batching, time, loggerFactory.CreateLogger<Batcher>(), metrics);
        model = new ServedModel(entry, onnx, batcher, pinned: false);
        model.Loop = Task.Run(batcher.RunAsync);
        model.TryAcquire(time.GetTimestamp());
        _loaded[entry.Key] = model;
        state.AddBatcher(batcher);
        metrics.ModelLoaded(succeeded: true);
        LogLoaded(_logger, entry.Key.ToString(), onnx.FeatureCount, onnx.ClassCount, time.GetElapsedTime(started).TotalMilliseconds, _loaded.Count);
        return new ModelLease(model, ModelAcquireStatus.Acquired, null);
    }

    /// <summary>Unloads idle models, least recently used first, until <paramref name="entry"/> fits; null when it does.</summary>
    private async Task<string?> MakeRoomAsync(ModelEntry entry)
    {
        if (limits.MaxMemoryBytes > 0 && entry.SizeBytes > limits.MaxMemoryBytes)
        {
            return $"model {entry.Key} ({entry.SizeBytes / 1048576.0:0.0} MB) is larger than --max-model-memory-mb on its own";
        }

        while (!Fits(entry))
        {
            var victim = _loaded.Values.Where(m => !m.Pinned).OrderBy(m => m.LastUsed).FirstOrDefault(m => m.TryRetire());
            if (victim is null)
            {
                return $"loading model {entry.Key} would pass the worker's limit ({Describe()}) and every loaded model has requests in flight; retry shortly, or raise --max-loaded-models / --max-model-memory-mb";
            }

            _loaded.TryRemove(victim.Key, out _);
            state.RemoveBatcher(victim.Batcher);
            await victim.UnloadAsync().ConfigureAwait(false);
            metrics.ModelUnloaded();
            LogUnloaded(_logger, victim.Key.ToString(), entry.Key.ToString());
        }

        return null;
    }

    public void Dispose() => _gate.Dispose();

    private bool Fits(ModelEntry entry) =>
        _loaded.Count + 1 <= limits.MaxLoadedModels
        && (limits.MaxMemoryBytes <= 0 || _loaded.Values.Sum(m => m.Entry.SizeBytes) + entry.SizeBytes <= limits.MaxMemoryBytes);

    private string Describe() => limits.MaxMemoryBytes > 0
        ? $"{limits.MaxLoadedModels} models, {limits.MaxMemoryBytes / 1048576.0:0.#} MB"
        : $"{limits.MaxLoadedModels} models";

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Model {Model} loaded on first use: {Features} features -> {Classes} classes in {Ms:0} ms; {Count} model(s) loaded")]
    private static partial void LogLoaded(ILogger logger, string model, int features, int classes, double ms, int count);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Model {Model} unloaded (least recently used, idle) to make room for {Next}")]
    private static partial void LogUnloaded(ILogger logger, string model, string next);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Model {Model} failed to load: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string model, string reason);
}
