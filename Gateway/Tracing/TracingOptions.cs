namespace Gateway.Tracing;

/// <summary>
/// <c>LbProxy.Tracing</c>: OpenTelemetry traces of proxied requests, exported over OTLP. Off unless an endpoint is
/// set; off, nothing on the request path creates an Activity. Read at start-up (a change needs a restart).
/// </summary>
public sealed record TracingOptions
{
    public const string HttpProtobuf = "HttpProtobuf";
    public const string Grpc = "Grpc";

    /// <summary>The collector: <c>http://HOST:4318</c> for HttpProtobuf (<c>/v1/traces</c> is added when no path is given), <c>http://HOST:4317</c> for Grpc.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary><c>HttpProtobuf</c> (the default) or <c>Grpc</c>.</summary>
    public string Protocol { get; init; } = HttpProtobuf;

    /// <summary>The resource's service.name.</summary>
    public string ServiceName { get; init; } = "lbproxy";

    /// <summary>Share of new traces recorded (a request with a sampled parent is always recorded: parent-based).</summary>
    public double SampleRatio { get; init; } = 1.0;

    /// <summary>How long finished spans wait for a batch before export, in milliseconds.</summary>
    public int ExportDelayMilliseconds { get; init; } = 2000;

    public bool Enabled => !string.IsNullOrWhiteSpace(OtlpEndpoint);
}
