using ModelWorker.Batching;
using ModelWorker.Inference;

namespace ModelWorker;

/// <summary>Everything the worker is told at start-up; defaults are constants (see ModelWorker/README.md).</summary>
public sealed record WorkerOptions
{
    public const int DefaultReadyQueueLimit = 100;
    public const int DefaultMaxBodyBytes = 1024 * 1024;
    public const int MaxRequestIdLength = 128;
    public const string DefaultModelFile = "classifier-small.onnx";
    public const int DefaultBatchRunLimitMs = 30_000;

    /// <summary>Test-only: after this many batches every Run hangs (a stuck inference), for liveness tests.</summary>
    public const string TestHangOption = "test-only-hang-after-batches";

    /// <summary>The bundled small model next to ModelWorker.dll, wherever the worker is started from.</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", DefaultModelFile);

    public string ModelPath { get; init; } = DefaultModelPath;

    public DeviceOption Device { get; init; } = DeviceOption.Auto;

    /// <summary>ONNX Runtime intra-op threads; the default is one per core.</summary>
    public int IntraOpThreads { get; init; } = Environment.ProcessorCount;

    public BatcherOptions Batching { get; init; } = new();

    /// <summary>/ready answers 503 while more requests than this wait.</summary>
    public int ReadyQueueLimit { get; init; } = DefaultReadyQueueLimit;

    /// <summary>Larger /predict bodies get 413 without being read.</summary>
    public int MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>Liveness: /health answers 503 while one model Run has taken longer than this; zero turns it off.</summary>
    public TimeSpan BatchRunLimit { get; init; } = TimeSpan.FromMilliseconds(DefaultBatchRunLimitMs);

    /// <summary>Test-only (<c>--test-only-hang-after-batches N</c>): Run hangs from batch N + 1 on; null in production.</summary>
    public int? TestHangAfterBatches { get; init; }
}
