namespace ModelWorker.Batching;

/// <summary>What the batcher needs from a model: fixed row sizes and one Run over a contiguous batch.</summary>
public interface IBatchModel
{
    /// <summary>Floats per input row.</summary>
    int FeatureCount { get; }

    /// <summary>Floats per output row (classes).</summary>
    int ClassCount { get; }

    /// <summary>The device that runs the model ("cpu" or "cuda"), for metrics and /health.</summary>
    string Device { get; }

    /// <summary>
    /// Runs <paramref name="batchSize"/> rows. <paramref name="input"/> holds batchSize * FeatureCount floats
    /// row-major; the model writes batchSize * ClassCount probabilities into <paramref name="output"/>.
    /// Both buffers belong to the batcher and are reused for every batch.
    /// </summary>
    void Run(Memory<float> input, Memory<float> output, int batchSize);
}
