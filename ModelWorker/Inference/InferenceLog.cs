using Microsoft.Extensions.Logging;

namespace ModelWorker.Inference;

internal static partial class InferenceLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "{Note}")]
    public static partial void FellBackToCpu(ILogger logger, string note);
}
