using Gateway.Admin;
using Gateway.Config;
using Gateway.Discovery;
using Gateway.Fleet;
using Gateway.Health;
using Gateway.LoadBalancing;
using Gateway.Proxy;
using Gateway.Split;
using Gateway.Tls;
using Gateway.Tracing;
using Gateway.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Transforms;

namespace Gateway;

/// <summary>
/// One gateway: the proxy listener and the admin listener, as two separate Kestrel apps in one process so
/// that proxy traffic can never reach /metrics or /status and admin traffic can never reach a backend.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _proxy;
    private readonly WebApplication _admin;

    private GatewayHost(WebApplication proxy, WebApplication admin)
    {
        _proxy = proxy;
        _admin = admin;
    }

    public IServiceProvider Services => _proxy.Services;

    public IReadOnlyList<string> ProxyUrls => [.. Addresses(_proxy).Except(H2cUrls)];

    /// <summary>The h2c (gRPC) proxy listeners, ports resolved (<see cref="GatewayHostOptions.H2cUrls"/>).</summary>
    public IReadOnlyList<string> H2cUrls => _proxy.Services.GetService<BoundListeners>()?.H2cUrls ?? [];

    public IReadOnlyList<string> AdminUrls => Addresses(_admin);

    public ConfigState Config => _proxy.Services.GetRequiredService<ConfigState>();

    /// <summary>Validates the config (throwing <see cref="ConfigException"/> with every problem) and starts both listeners.</summary>
    public static async Task<GatewayHost> StartAsync(GatewayHostOptions options, Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        var config = options.Config;
        if (options.ConfigPath is not null)
        {
            config = await LoadAsync(options, logging);
        }

        if (config is null)
        {
            throw new ArgumentException("Give a ConfigPath or a Config.", nameof(options));
        }

        // Off loopback only with a token (checked before anything binds).
        var adminEnvironment = Admin.Guard.AdminEnvironment.FromProcess();
        Admin.Guard.AdminBinding.EnsureSafe(options.AdminUrls, adminEnvironment.Token ?? config.Options.Admin?.Token);
        var proxy = BuildProxy(options, config.Options, logging);
        proxy.Services.GetRequiredService<ConfigState>().Apply(config);
        var admin = BuildAdmin(options, proxy.Services, logging, adminEnvironment);
        await proxy.StartAsync(cancellationToken);
        await admin.StartAsync(cancellationToken);
        return new GatewayHost(proxy, admin);
    }

    /// <summary>The local fleet's supervisor, when the config has a fleet.</summary>
    public FleetSupervisorView? Fleet => _proxy.Services.GetService<FleetSupervisor>() is { } supervisor
        ? new FleetSupervisorView(supervisor) : null;

    /// <summary>
    /// Parses and validates a config file with the gateway's own validators (YARP's included), without starting
    /// anything: what start-up and <c>-t</c> both run.
    /// </summary>
    public static async Task<(GatewayConfig? Config, IReadOnlyList<ConfigError> Errors)> CheckConfigFileAsync(string path, GatewayHostOptions? options = null)
    {
        await using var services = new ServiceCollection().AddLogging().AddMetrics()
            .AddLbProxyGateway(options ?? new GatewayHostOptions()).BuildServiceProvider();
        return await ConfigFileParser.LoadAsync(path, services.GetRequiredService<IConfigValidator>());
    }

    /// <summary>Reads and validates the file before anything starts; throws with every problem (each also logged).</summary>
    private static async Task<GatewayConfig> LoadAsync(GatewayHostOptions options, Action<ILoggingBuilder>? logging)
    {
        var (config, errors) = await CheckConfigFileAsync(options.ConfigPath!, options);
        if (config is null)
        {
            using var loggers = LoggerFactory.Create(builder => ConfigureLogging(builder, logging));
            var logger = loggers.CreateLogger("Gateway.Config");
            foreach (var error in errors)
            {
                logger.LogError("{Error}", error.ToString());
            }

            throw new ConfigException(errors);
        }

        return config;
    }

    /// <summary>Completes when the process is asked to stop (Ctrl-C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _proxy.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _admin.StopAsync();
        await _proxy.StopAsync();
        await _admin.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    /// <summary>
    /// ASP.NET Core's appsettings.json reload (the gateway has its own config file and watcher) would put a recursive
    /// file watcher on the working directory: every file written under it (an access log at a relative path, build
    /// output) woke both apps to read inotify events.
    /// </summary>
    private static readonly string[] s_hostArgs = ["--hostBuilder:reloadConfigOnChange=false"];

    private static WebApplication BuildProxy(GatewayHostOptions options, LbProxyOptions lbProxy, Action<ILoggingBuilder>? logging)
    {
        var fleet = lbProxy.Fleet;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = s_hostArgs });
        ConfigureLogging(builder.Logging, logging);
        builder.Logging.AddOpsEvents(); // the status page's events, from the fleet's and the config watcher's lines
        WithoutIdleHostFiltering(builder);
        builder.WebHost.UseLbProxyTransport(options.InlineScheduling); // the epoll loops (Gateway/Transport), else Kestrel's sockets
        builder.WebHost.ConfigureKestrel(k => Hardening.KestrelLimits.Apply(k, lbProxy.ServerLimits)); // read at start-up
        // Both upstream clients read response header values as Latin-1 (one char a byte, as SocketsHttpHandler does), and
        // Kestrel writes them back the same way, so a destination's bytes reach the client as they came (nginx, HAProxy).
        // Kestrel's own default, ASCII only, failed such a response with a 502.
        builder.WebHost.ConfigureKestrel(k => k.ResponseHeaderEncodingSelector = static _ => System.Text.Encoding.Latin1);
        builder.Services.AddLbProxyGateway(options);
        builder.WebHost.ConfigureKestrel(RateLimits.ConnectionLimitMiddleware.Register); // before the listeners: it runs on every endpoint
        IReadOnlyList<Tls.ListenerOptions> listeners = [];
        if (lbProxy.Listeners.Count > 0 || options.H2cUrls.Count > 0)
        {
            // LbProxy.Listeners (TLS) in place of --urls, else --urls; --h2c-urls become HTTP/2-only listeners beside them.
            listeners = [.. lbProxy.Listeners, .. UrlListeners.Create(lbProxy.Listeners.Count > 0 ? null : options.Urls, options.H2cUrls)];
            builder.AddLbProxyListeners(listeners);
        }
        else
        {
            builder.WebHost.UseUrls([.. options.Urls]);
        }

        builder.Services.AddLbProxyTracing(lbProxy.Tracing, options.MeterName); // LbProxy.Tracing: OTLP spans per request and try
        if (options.ConfigPath is { } path)
        {
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<ConfigFileWatcher>(sp, path));
        }

        if (fleet is not null)
        {
            // Fleet settings are read at start-up; a reload that changes them needs a restart.
            builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<FleetSupervisor>(sp, fleet));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<FleetSupervisor>());
            builder.Services.AddSingleton<FleetAutoscaler>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<FleetAutoscaler>());
            builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<FleetMetrics>(sp, options.MeterName));
        }

        // Discovery settings, like the fleet's, are read at start-up.
        builder.Services.AddLbProxyDiscovery(lbProxy.Discovery, options.HostResolver);

        if (options.NginxConfPath is not null)
        {
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<Config.Nginx.NginxReloader>(sp, options));
        }

        var app = builder.Build();
        // No route carries an authorization policy (ConfigFileParser rejects them: the gateway authenticates no one), so
        // the AuthorizationMiddleware WebApplication adds by itself would only cost every request an async layer and an
        // Items dictionary. UseAuthorization's own marker keeps WebApplication from adding it.
        ((IApplicationBuilder)app).Properties["__AuthorizationMiddlewareSet"] = true;
        if (listeners.Any(l => l.IsHttps))
        {
            app.UseMiddleware<Tls.PlainHttpOnTlsMiddleware>(); // plain HTTP on a TLS port: 400 saying so, as nginx (its 497)
        }

        app.UseMiddleware<Hardening.ClientAddressMiddleware>(); // LbProxy.TrustedProxies: the client behind a trusted proxy
        app.UseMiddleware<AccessLog.AccessLogMiddleware>(); // LbProxy.AccessLog's logs; only reads the config when they are off
        app.UseMiddleware<Config.Nginx.NginxFrontMiddleware>(); // nginx.conf's servers and locations; a no-op otherwise
        app.MapReverseProxy(pipeline =>
        {
            pipeline.UseMiddleware<Hardening.RequestLimitsMiddleware>(); // a declared body over the limit: 413 before any try
            pipeline.UseMiddleware<Split.SplitMiddleware>(); // a split route: the request moves to the chosen cluster first
            pipeline.UseSessionAffinity();
            pipeline.UseMiddleware<RateLimits.RateLimitMiddleware>(); // LbProxy.RateLimits: 429 before admission or any try
            pipeline.UseMiddleware<AdmissionMiddleware>();
            pipeline.UseLoadBalancing();
            // Passive health is the circuit breakers' (they set YARP's passive state), not YARP's own policy.
            pipeline.UseMiddleware<ForwardingMiddleware>();
        });
        return app;
    }

    /// <summary>
    /// ASP.NET Core's host filtering lets every Host through unless the configuration's <c>AllowedHosts</c> names some
    /// (virtual servers are nginx.conf's <c>server_name</c> here). Letting them through still cost every request a
    /// middleware, an options lookup and a log-level check, so the filter stays only where <c>AllowedHosts</c> is set.
    /// </summary>
    private static void WithoutIdleHostFiltering(WebApplicationBuilder builder)
    {
        if (builder.Configuration["AllowedHosts"] is { Length: > 0 } hosts && hosts.Trim() != "*")
        {
            return;
        }

        for (var i = builder.Services.Count - 1; i >= 0; i--)
        {
            if (builder.Services[i] is { ServiceType: var type, ImplementationType.Name: "HostFilteringStartupFilter" }
                && type == typeof(IStartupFilter))
            {
                builder.Services.RemoveAt(i);
            }
        }
    }

    private static WebApplication BuildAdmin(GatewayHostOptions options, IServiceProvider proxyServices, Action<ILoggingBuilder>? logging,
        Admin.Guard.AdminEnvironment adminEnvironment)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = s_hostArgs });
        ConfigureLogging(builder.Logging, logging);
        builder.WebHost.UseUrls([.. options.AdminUrls]);
        // Metrics are recorded by the proxy app's meter; the exporter here listens by meter name.
        _ = proxyServices.GetRequiredService<GatewayMetrics>();
        _ = proxyServices.GetService<FleetMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(options.MeterName)
            // .NET's own (dotnet_gc_collections_total, dotnet_gc_pause_time_seconds_total, heap sizes, thread pool): read
            // at scrape time only, nothing per request; a collector's pauses are what a managed proxy adds to its tail.
            .AddMeter("System.Runtime")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.AddStatusPage(proxyServices);
        builder.Services.AddCanaryAnalysis(proxyServices);
        var app = builder.Build();
        // First, so every admin endpoint is guarded, those added later included (Gateway/Admin/Guard).
        app.UseMiddleware<Admin.Guard.AdminGuardMiddleware>(proxyServices.GetRequiredService<ConfigState>(), adminEnvironment);
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/status", () => Results.Json(StatusReport.Build(
            proxyServices.GetRequiredService<GatewayStateReader>(), proxyServices.GetRequiredService<ConfigState>(),
            proxyServices.GetRequiredService<GatewayMetrics>(), proxyServices.GetService<FleetSupervisor>(),
            proxyServices.GetService<FleetAutoscaler>(),
            Split.SplitReport.All(proxyServices.GetRequiredService<Split.TrafficSplits>(), proxyServices.GetRequiredService<Yarp.ReverseProxy.IProxyStateLookup>()),
            proxyServices.GetService<RateLimits.ClientLimits>())));
        app.MapSplitApi(proxyServices); // PUT /api/routes/{id}/split
        // Kubernetes probes: live while the process answers; ready once every discovered cluster had its first
        // answer, and no longer once shutdown began (so the Service stops sending before the drain ends).
        var lifetime = proxyServices.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var discovery = proxyServices.GetRequiredService<DiscoveryState>();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => lifetime.ApplicationStopping.IsCancellationRequested
            ? Results.Text("stopping\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : discovery.AllSynced ? Results.Text("ready\n")
            : Results.Text($"waiting for discovery: {string.Join(", ", discovery.Pending)}\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapStatusPage(proxyServices); // GET / (or /ui): the live status page
        Admin.Api.RuntimeApiEndpoints.MapRuntimeApi(app, proxyServices); // /api/clusters: weights, drain, disable, enable
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, Action<ILoggingBuilder>? configure)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        // No per-request Information logging; with Hosting.Diagnostics off ASP.NET Core also skips
        // creating a per-request Activity (measured: +4-10% requests/s here).
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter("Yarp", LogLevel.Warning);
        // A failed probe is shown on /status (health.lastProbeError); YARP would log each with a stack trace.
        logging.AddFilter("Yarp.ReverseProxy.Health", LogLevel.Error);
        // A failed try: ForwardingMiddleware logs it in one line; YARP would log it again with a stack trace.
        logging.AddFilter("Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error);
        // YARP's session affinity brings data protection, which warns that its keys are not encrypted at rest.
        logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        configure?.Invoke(logging);
    }

    private static List<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
