using Gateway.Config;

namespace Gateway;

/// <summary>How to start a gateway: where its config comes from and where it listens.</summary>
public sealed record GatewayHostOptions
{
    public const string DefaultUrls = "http://127.0.0.1:8080";
    public const string DefaultAdminUrls = "http://127.0.0.1:9901";

    /// <summary>A config file to load and watch for changes.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>A config built in code (used when there is no file).</summary>
    public GatewayConfig? Config { get; init; }

    /// <summary>The nginx.conf the config was translated from: reloaded on SIGHUP (see Config/Nginx).</summary>
    public string? NginxConfPath { get; init; }

    /// <summary>nginx's -p prefix and -g directives for that reload.</summary>
    public string? NginxPrefix { get; init; }

    public string? NginxGlobals { get; init; }

    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrls];

    public IReadOnlyList<string> AdminUrls { get; init; } = [DefaultAdminUrls];

    /// <summary>
    /// Proxy listeners for HTTP/2 without TLS (h2c, prior knowledge), what gRPC clients send to http:// addresses: the
    /// same routes as <see cref="Urls"/>, on ports of their own (a cleartext port cannot offer both; see Tls/UrlListeners).
    /// </summary>
    public IReadOnlyList<string> H2cUrls { get; init; } = [];

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The DNS lookup of <c>LbProxy.Discovery</c> clusters with Source Dns (tests answer it themselves).</summary>
    public Discovery.IHostResolver? HostResolver { get; init; }

    /// <summary>
    /// The meter the gateway records into and exports. OpenTelemetry listens by meter name process-wide, so
    /// two gateways in one process (tests) keep their numbers apart by using different names.
    /// </summary>
    public string MeterName { get; init; } = Admin.GatewayMetrics.DefaultMeterName;

    /// <summary>
    /// Kestrel's UnsafePreferInlineScheduling on the proxy listener: requests run on the thread that read them
    /// instead of hopping to the thread pool. Safe here because nothing on the proxy's request path blocks a thread
    /// (admission queues, retries and the upstream clients all await). Program sets it (and
    /// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 for its own process only) from LBPROXY_INLINE_SCHEDULING, on unless it is 0.
    /// </summary>
    public bool InlineScheduling { get; init; } = true;
}
