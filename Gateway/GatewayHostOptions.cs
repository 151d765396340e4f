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

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The DNS lookup of <c>LbProxy.Discovery</c> clusters with Source Dns (tests answer it themselves).</summary>
    public Discovery.IHostResolver? HostResolver { get; init; }

    /// <summary>
    /// The meter the gateway records into and exports. OpenTelemetry listens by meter name process-wide, so
    /// two gateways in one process (tests) keep their numbers apart by using different names.
    /// </summary>
    public string MeterName { get; init; } = Admin.GatewayMetrics.DefaultMeterName;
}
