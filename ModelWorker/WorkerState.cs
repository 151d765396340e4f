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
        _loaded.TrySetResult();
    }

    public void LoadFailed(Exception error) => _loaded.TrySetException(error);
}
