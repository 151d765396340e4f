using ModelWorker.Batching;
using ModelWorker.Models;

namespace ModelWorker.Cache;

/// <summary>
/// The one way a row reaches a model, for every front end (/predict, KServe v2 HTTP and gRPC): the prediction
/// cache first, so a hit never waits in a batch, then the model's batcher; a successful answer is kept.
/// </summary>
public sealed class CachedInference(PredictionCache cache)
{
    public bool CacheEnabled => cache.Enabled;

    /// <summary>
    /// The row's probabilities in <paramref name="probabilities"/>. A cache hit is a success with batch size 0 (it
    /// shared no Run); otherwise as <see cref="Batcher.SubmitAsync(ReadOnlyMemory{float}, Memory{float}, CancellationToken)"/>.
    /// </summary>
    public Task<BatchResult> PredictAsync(ServedModel model, ReadOnlyMemory<float> row, Memory<float> probabilities, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!cache.Enabled)
        {
            return model.Batcher.SubmitAsync(row, probabilities, cancellationToken); // no extra state machine when off
        }

        return cache.TryGet(model.Key, model.CacheSeed, row.Span, probabilities.Span)
            ? Task.FromResult(BatchResult.Success(probabilities, 0))
            : RunAndStoreAsync(model, row, probabilities, cancellationToken);
    }

    private async Task<BatchResult> RunAndStoreAsync(ServedModel model, ReadOnlyMemory<float> row, Memory<float> probabilities, CancellationToken cancellationToken)
    {
        var result = await model.Batcher.SubmitAsync(row, probabilities, cancellationToken);
        if (result.Status == BatchStatus.Succeeded)
        {
            cache.Store(model.Key, model.CacheSeed, row.Span, probabilities.Span);
        }

        return result;
    }
}
