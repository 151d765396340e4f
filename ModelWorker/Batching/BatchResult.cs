namespace ModelWorker.Batching;

/// <summary>The outcome of one request: a status, and for a success its row of probabilities.</summary>
/// <param name="Status">How the request ended.</param>
/// <param name="Probabilities">The class probabilities, in the buffer the caller passed to SubmitAsync (success only).</param>
/// <param name="BatchSize">How many requests shared the Run (success and failure).</param>
/// <param name="Error">The model's exception (failure only).</param>
public readonly record struct BatchResult(BatchStatus Status, ReadOnlyMemory<float> Probabilities, int BatchSize, Exception? Error)
{
    public static BatchResult Of(BatchStatus status) => new(status, default, 0, null);

    public static BatchResult Success(ReadOnlyMemory<float> probabilities, int batchSize) =>
        new(BatchStatus.Succeeded, probabilities, batchSize, null);

    public static BatchResult Failure(Exception error, int batchSize) => new(BatchStatus.Failed, default, batchSize, error);
}
