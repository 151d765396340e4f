namespace ModelWorker.Models;

/// <summary>How many models may be loaded at once (<c>--max-loaded-models</c>, <c>--max-model-memory-mb</c>).</summary>
public sealed record ModelLimits
{
    public const int DefaultMaxLoadedModels = 8;

    /// <summary>Models loaded at once, the <c>--model</c> one included.</summary>
    public int MaxLoadedModels { get; init; } = DefaultMaxLoadedModels;

    /// <summary>Sum of the loaded models' file sizes (the memory estimate); 0 = no limit.</summary>
    public long MaxMemoryBytes { get; init; }
}
