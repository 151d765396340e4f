namespace Gateway.AccessLog;

/// <summary>How a log's lines are written.</summary>
public enum AccessLogFormat
{
    /// <summary>nginx's predefined <c>combined</c> format, byte for byte (so existing log parsers keep working).</summary>
    Combined,

    /// <summary>One JSON object per line with the fields operators query (see Gateway/AccessLog/README.md).</summary>
    Json,
}
