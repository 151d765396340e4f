using System.Globalization;
using Microsoft.Extensions.Configuration;
using ModelWorker.Batching;
using ModelWorker.Cache;
using ModelWorker.Inference;
using ModelWorker.Models;

namespace ModelWorker;

/// <summary>
/// Reads <see cref="WorkerOptions"/> from configuration: each option under its command-line name
/// (--max-batch-size, or "max-batch-size" in a --config JSON file) or its environment name (MAX_BATCH_SIZE,
/// as the seeds' Kubernetes Deployment sets it). Every error is collected, so one start says all that is wrong.
/// </summary>
public static class WorkerOptionsReader
{
    public static WorkerOptions Read(IConfiguration config)
    {
        var errors = new List<string>();
        var maxBatch = Int(config, "max-batch-size", BatcherOptions.DefaultMaxBatchSize, 1, 4096, errors);
        var maxWait = Int(config, "max-wait-ms", BatcherOptions.DefaultMaxWaitMs, 0, 60_000, errors);
        var capacity = Int(config, "queue-capacity", BatcherOptions.DefaultQueueCapacity, 1, 1_000_000, errors);
        var timeout = Int(config, "request-timeout-ms", BatcherOptions.DefaultRequestTimeoutMs, 1, 3_600_000, errors);
        var runLimit = Int(config, "batch-run-limit-ms", WorkerOptions.DefaultBatchRunLimitMs, 0, 3_600_000, errors);
        var hangAfter = Int(config, WorkerOptions.TestHangOption, 0, 0, 1_000_000, errors);
        var modelPath = Value(config, "model") ?? WorkerOptions.DefaultModelPath;
        var maxModels = Int(config, "max-loaded-models", ModelLimits.DefaultMaxLoadedModels, 1, 10_000, errors);
        var maxModelMemoryMb = Int(config, "max-model-memory-mb", 0, 0, 16 * 1024 * 1024, errors);
        var cacheCapacity = Int(config, "cache-capacity", 0, 0, 10_000_000, errors);
        var cacheTtl = Int(config, "cache-ttl-ms", PredictionCacheOptions.DefaultTtlMs, 0, 86_400_000, errors);
        var repository = ModelRepository.Build(modelPath, Value(config, "model-repository"), errors);
        var options = new WorkerOptions
        {
            ModelPath = modelPath,
            Repository = repository,
            ModelLimits = new ModelLimits { MaxLoadedModels = maxModels, MaxMemoryBytes = maxModelMemoryMb * 1024L * 1024L },
            Cache = new PredictionCacheOptions { Capacity = cacheCapacity, TimeToLive = TimeSpan.FromMilliseconds(cacheTtl) },
            GrpcUrls = GrpcUrls(Value(config, "grpc-urls"), errors),
            Device = Device(Value(config, "device"), errors),
            IntraOpThreads = Int(config, "intra-op-threads", Environment.ProcessorCount, 1, 1024, errors),
            ReadyQueueLimit = Int(config, "ready-queue-limit", WorkerOptions.DefaultReadyQueueLimit, 0, 1_000_000, errors),
            MaxBodyBytes = Int(config, "max-body-bytes", WorkerOptions.DefaultMaxBodyBytes, 1024, 64 * 1024 * 1024, errors),
            BatchRunLimit = TimeSpan.FromMilliseconds(runLimit),
            TestHangAfterBatches = Value(config, WorkerOptions.TestHangOption) is null ? null : hangAfter,
            Batching = new BatcherOptions
            {
                Mode = Mode(Value(config, "batching"), errors),
                MaxBatchSize = maxBatch,
                MaxWait = TimeSpan.FromMilliseconds(maxWait),
                QueueCapacity = capacity,
                RequestTimeout = TimeSpan.FromMilliseconds(timeout),
            },
        };
        return errors.Count == 0 ? options : throw new WorkerOptionsException(errors);
    }

    /// <summary>"max-batch-size" -> "MAX_BATCH_SIZE" (configuration keys ignore case).</summary>
    public static string EnvironmentName(string option) => option.Replace('-', '_');

    private static string? Value(IConfiguration config, string option) =>
        config[option] ?? config[EnvironmentName(option)];

    private static int Int(IConfiguration config, string option, int fallback, int min, int max, List<string> errors)
    {
        var text = Value(config, option);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"--{option} must be an integer from {min} to {max}, got '{text}'");
            return fallback;
        }

        return value;
    }

    // "http://127.0.0.1:5002;http://[::1]:5002": cleartext only (gRPC here is h2c; TLS belongs to a proxy in front).
    private static string[] GrpcUrls(string? text, List<string> errors)
    {
        var urls = text?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
            {
                errors.Add($"--grpc-urls takes http://HOST:PORT addresses (cleartext HTTP/2), ';'-separated; got '{url}'");
            }
        }

        return urls;
    }

    private static BatchingMode Mode(string? text, List<string> errors) => text?.ToLowerInvariant() switch
    {
        null or "work-conserving" => BatchingMode.WorkConserving,
        "fixed-window" => BatchingMode.FixedWindow,
        _ => Invalid(errors, $"--batching must be work-conserving or fixed-window, got '{text}'"),
    };

    private static BatchingMode Invalid(List<string> errors, string error)
    {
        errors.Add(error);
        return BatchingMode.WorkConserving;
    }

    private static DeviceOption Device(string? text, List<string> errors)
    {
        if (text is null)
        {
            return DeviceOption.Auto;
        }

        if (Enum.TryParse<DeviceOption>(text, ignoreCase: true, out var device) && Enum.IsDefined(device) && !int.TryParse(text, out _))
        {
            return device;
        }

        errors.Add($"--device must be auto, cpu or cuda, got '{text}'");
        return DeviceOption.Auto;
    }
}
