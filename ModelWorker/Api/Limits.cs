namespace ModelWorker.Api;

/// <summary>Request limits the API documents.</summary>
public static class Limits
{
    /// <summary>A longer request_id is rejected (it ends up in logs and headers downstream).</summary>
    public const int MaxRequestIdLength = WorkerOptions.MaxRequestIdLength;
}
