namespace ModelWorker;

/// <summary>Start-up options that cannot work, all of them listed.</summary>
public sealed class WorkerOptionsException : Exception
{
    public WorkerOptionsException(IReadOnlyList<string> errors)
        : base("invalid options: " + string.Join("; ", errors ?? []))
    {
        Errors = errors ?? [];
    }

    public WorkerOptionsException()
        : this([])
    {
    }

    public WorkerOptionsException(string message)
        : base(message)
    {
        Errors = [message];
    }

    public WorkerOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; }
}
