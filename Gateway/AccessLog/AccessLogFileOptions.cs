namespace Gateway.AccessLog;

/// <summary>One named access log: where it is written and in which format.</summary>
public sealed record AccessLogFileOptions
{
    /// <summary>The file; a relative path is taken from the config file's folder.</summary>
    public string Path { get; init; } = "";

    public AccessLogFormat Format { get; init; } = AccessLogFormat.Combined;
}
