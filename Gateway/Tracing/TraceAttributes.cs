namespace Gateway.Tracing;

/// <summary>Span attribute keys: OpenTelemetry's HTTP semantic conventions where one fits, <c>lbproxy.*</c> for the rest.</summary>
public static class TraceAttributes
{
    public const string Method = "http.request.method";
    public const string Path = "url.path";
    public const string StatusCode = "http.response.status_code";
    public const string ClientAddress = "client.address";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string UrlFull = "url.full";
    public const string Route = "lbproxy.route";
    public const string Cluster = "lbproxy.cluster";
    public const string Policy = "lbproxy.policy";
    public const string Destination = "lbproxy.destination";
    public const string Try = "lbproxy.try";
    public const string Tries = "lbproxy.tries";
    public const string Outcome = "lbproxy.outcome";
}
