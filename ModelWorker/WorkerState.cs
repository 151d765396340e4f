using ModelWorker.Batching;

namespace ModelWorker;

/// <summary>
/// What the endpoints read on every request: the batcher once the model is loaded, and the loaded model's
/// description. Published once through volatile fields; readers never lock.
/// </summary>
public sealed class WorkerState
{
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Batcher? _batcher;
    private volatile LoadedModelInfo? _model;
    private volatile Batcher[] _batchers = [];

    /// <summary>Null until the model is loaded.</summary>
    public Batcher? Batcher => _batcher;

    /// <summary>Null until the model is loaded.</summary>
    public LoadedModelInfo? Model => _model;

    /// <summary>Completes when the model is loaded (faults when loading failed): tests and tools await it.</summary>
    public Task Loaded => _loaded.Task;

    public void Publish(Batcher batcher, LoadedModelInfo model)
    {
        _model = model;
        _batcher = batcher;
        AddBatcher(batcher);
        _loaded.TrySetResult();
    }

    public void LoadFailed(Exception error) => _loaded.TrySetException(error);

    /// <summary>Requests waiting in every loaded model's batcher (/ready, X-Queue-Depth, ml_queue_size).</summary>
    public int TotalQueueDepth
    {
        get
        {
            var depth = 0;
            foreach (var batcher in _batchers)
            {
                depth += batcher.QueueDepth;
            }

            return depth;
        }
    }

    /// <summary>The batcher of every loaded model (a snapshot).</summary>
    public IReadOnlyList<Batcher> Batchers => _batchers;

    /// <summary>Models loaded now (ml_models_loaded).</summary>
    public int LoadedModelCount => _batchers.Length;

    /// <summary>A model was loaded: its batcher's queue counts from now on (copy-on-write; loads are rare).</summary>
    public void AddBatcher(Batcher batcher)
    {
        lock (_loaded)
        {
            _batchers = [.. _batchers, batcher];
        }
    }

    public void RemoveBatcher(Batcher batcher)
    {
        lock (_loaded)
        {
            _batchers = [.. _batchers.Where(b => b != batcher)];
        }
    }
}
