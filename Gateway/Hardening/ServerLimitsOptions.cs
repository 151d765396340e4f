namespace Gateway.Hardening;

/// <summary>
/// <c>LbProxy.ServerLimits</c>: what the proxy listener (Kestrel) allows a client before it answers 4xx or closes the
/// connection. Defaults follow nginx and HAProxy where they are stricter than Kestrel's own (README.md in this folder
/// has the side-by-side table). Read at start-up, like the listener itself.
/// </summary>
public sealed record ServerLimitsOptions
{
    /// <summary>nginx <c>client_header_timeout</c> 60s (Kestrel 30 s, HAProxy <c>timeout http-request</c> has none).</summary>
    public const double DefaultRequestHeadersTimeoutSeconds = 60;

    /// <summary>nginx <c>keepalive_timeout</c> 75s (Kestrel 130 s).</summary>
    public const double DefaultKeepAliveTimeoutSeconds = 75;

    /// <summary>Kestrel's: a body slower than 240 B/s after a 5 s grace is cut (nginx cuts after 60 s without a byte).</summary>
    public const double DefaultMinRequestBodyBytesPerSecond = 240;

    public const double DefaultMinResponseBytesPerSecond = 240;

    public const double DefaultMinDataRateGraceSeconds = 5;

    /// <summary>
    /// Each proxied connection holds two descriptors (client and upstream); 10,000 keeps a process with the usual
    /// 20,000-descriptor limit out of EMFILE, as HAProxy derives its default maxconn from the descriptor limit.
    /// </summary>
    public const long DefaultMaxConcurrentConnections = 10_000;

    /// <summary>nginx <c>large_client_header_buffers 4 8k</c>: a request line up to 8 KB (Kestrel's too).</summary>
    public const int DefaultMaxRequestLineBytes = 8 * 1024;

    /// <summary>nginx 4 x 8k = 32 KB of headers (Kestrel's too; HAProxy <c>tune.bufsize</c> 16 KB for the whole head).</summary>
    public const int DefaultMaxRequestHeadersBytes = 32 * 1024;

    /// <summary>HAProxy <c>tune.http.maxhdr</c> 101, Kestrel 100.</summary>
    public const int DefaultMaxRequestHeaderCount = 100;

    /// <summary>
    /// 32 MiB. nginx's <c>client_max_body_size</c> 1m is too small for model inputs (a 224x224x3 float image as JSON
    /// is about 1.5 MB); Kestrel's is 30 MB.
    /// </summary>
    public const long DefaultMaxRequestBodyBytes = 32 * 1024 * 1024;

    /// <summary>Kestrel cannot hold a request line or head larger than its request buffer (1 MiB).</summary>
    public const int MaxHeadBytes = 1024 * 1024;

    public double RequestHeadersTimeoutSeconds { get; init; } = DefaultRequestHeadersTimeoutSeconds;

    public double KeepAliveTimeoutSeconds { get; init; } = DefaultKeepAliveTimeoutSeconds;

    /// <summary>0 turns the minimum off.</summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = DefaultMinRequestBodyBytesPerSecond;

    /// <summary>0 turns the minimum off.</summary>
    public double MinResponseBytesPerSecond { get; init; } = DefaultMinResponseBytesPerSecond;

    /// <summary>How long a body or response may be slower than its minimum before the connection is cut.</summary>
    public double MinDataRateGraceSeconds { get; init; } = DefaultMinDataRateGraceSeconds;

    /// <summary>Connections open at once (idle keep-alive ones included); 0 = no cap. Past it new connections are closed at once.</summary>
    public long MaxConcurrentConnections { get; init; } = DefaultMaxConcurrentConnections;

    public int MaxRequestLineBytes { get; init; } = DefaultMaxRequestLineBytes;

    public int MaxRequestHeadersBytes { get; init; } = DefaultMaxRequestHeadersBytes;

    public int MaxRequestHeaderCount { get; init; } = DefaultMaxRequestHeaderCount;

    /// <summary>0 = no limit (nginx <c>client_max_body_size 0</c>).</summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;
}
