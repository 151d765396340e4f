namespace ModelWorker.Models;

/// <summary>The answer of <see cref="ModelManager.AcquireAsync"/>: a leased model to release, or why there is none.</summary>
public readonly record struct ModelLease(ServedModel? Model, ModelAcquireStatus Status, string? Error) : IDisposable
{
    public static ModelLease Failed(ModelAcquireStatus status, string error) => new(null, status, error);

    public void Dispose() => Model?.Release();
}
