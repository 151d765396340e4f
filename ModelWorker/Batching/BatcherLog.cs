using Microsoft.Extensions.Logging;

namespace ModelWorker.Batching;

internal static partial class BatcherLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Model Run failed for a batch of {BatchSize}; its requests get 500, the worker keeps serving")]
    public static partial void RunFailed(ILogger logger, Exception exception, int batchSize);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Batcher draining: no new requests, finishing {Queued} queued")]
    public static partial void Draining(ILogger logger, int queued);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Batcher stopped after draining the queue")]
    public static partial void Stopped(ILogger logger);
}
