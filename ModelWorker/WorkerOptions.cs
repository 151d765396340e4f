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

    /// <summary>Every model the worker serves: <c>--model</c> and the <c>--model-repository</c> folder (null = just --model).</summary>
    public Models.ModelRepository? Repository { get; init; }

    /// <summary>How many models may be loaded at once (<c>--max-loaded-models</c>, <c>--max-model-memory-mb</c>).</summary>
    public Models.ModelLimits ModelLimits { get; init; } = new();

    /// <summary>The prediction cache (<c>--cache-capacity</c>, <c>--cache-ttl-ms</c>); off by default.</summary>
    public Cache.PredictionCacheOptions Cache { get; init; } = new();

    /// <summary>
    /// Where the KServe v2 gRPC service listens, HTTP/2 without TLS (<c>--grpc-urls</c>); empty = no gRPC port. Kestrel
    /// speaks cleartext HTTP/2 (prior knowledge) only on an endpoint that allows HTTP/2 alone, so gRPC needs a port of its own.
    /// </summary>
    public IReadOnlyList<string> GrpcUrls { get; init; } = [];

    /// <summary>Test-only (<c>--test-only-hang-after-batches N</c>): Run hangs from batch N + 1 on; null in production.</summary>
    public int? TestHangAfterBatches { get; init; }
}
