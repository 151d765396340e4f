namespace Gateway.AccessLog;

/// <summary>
/// What the access log needs to know about one request beyond the HttpContext: when it began and its tries (set as an
/// HttpContext feature only for requests that are logged; the forwarding loop adds each try).
/// </summary>
internal sealed class AccessLogRecord(long startTimestamp)
{
    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>Tries sent to a destination (0 when the gateway answered itself).</summary>
    public int Tries { get; private set; }

    /// <summary>The last try's destination address, its status (0 = no response) and its time in seconds.</summary>
    public string? UpstreamAddress { get; private set; }

    public int UpstreamStatus { get; private set; }

    public double UpstreamSeconds { get; private set; }

    public void AddTry(string address, int status, double seconds)
    {
        Tries++;
        UpstreamAddress = address;
        UpstreamStatus = status;
        UpstreamSeconds = seconds;
    }
}
