using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Upstream;

/// <summary>
/// YARP's client factory with one change: for clusters on the lean client the SocketsHttpHandler YARP configured
/// (TLS, timeouts, its cluster settings) becomes the fallback behind a <see cref="LeanHttpHandler"/>.
/// </summary>
internal sealed class LeanForwarderHttpClientFactory(LeanConnectionPools pools, ILogger<ForwarderHttpClientFactory> logger,
    Tracing.GatewayTracing tracing)
    : ForwarderHttpClientFactory(logger), IForwarderHttpClientFactory
{
    // The clients on the lean handler, for the lean forwarder (it sends their plain requests itself).
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<HttpMessageInvoker, LeanHttpHandler> _lean = new();

    [ThreadStatic]
    private static LeanHttpHandler? t_built;

    /// <summary>YARP's client, remembered when it is on the lean handler.</summary>
    HttpMessageInvoker IForwarderHttpClientFactory.CreateClient(ForwarderHttpClientContext context)
    {
        t_built = null;
        var client = CreateClient(context);
        if (t_built is { } handler)
        {
            _lean.AddOrUpdate(client, handler);
        }

        t_built = null;
        return client;
    }

    /// <summary>The lean handler behind a cluster's client, when it has one.</summary>
    public bool TryGetLean(HttpMessageInvoker client, out LeanHttpHandler handler) => _lean.TryGetValue(client, out handler!);

    /// <summary>
    /// Cluster metadata "off": every upstream connection is closed after its response, none kept for the next request
    /// (nginx without <c>keepalive</c> in the upstream). Set with UpstreamClient "Sockets", whose pool does this.
    /// </summary>
    public const string ConnectionReuseMetadataKey = "UpstreamConnectionReuse";

    /// <summary>
    /// Cluster metadata: at most this many idle keep-alive connections kept for the cluster across its destinations
    /// (nginx <c>keepalive N</c>); a connection released beyond it is closed. Absent: no cap. Lean client only.
    /// </summary>
    public const string MaxIdleConnectionsMetadataKey = "UpstreamMaxIdleConnections";

    /// <summary>
    /// Cluster metadata: clusters with the same value share one cap of <see cref="MaxIdleConnectionsMetadataKey"/> idle
    /// connections (nginx: the clusters of one upstream that locations use with different settings).
    /// </summary>
    public const string IdleBudgetGroupMetadataKey = "UpstreamIdleBudgetGroup";

    private readonly LoadBalancing.SharedByKey<LeanIdleBudget> _budgets = new();

    /// <summary>YARP reuses the old client when the HttpClient config is unchanged; the choice of client must match too.</summary>
    protected override bool CanReuseOldClient(ForwarderHttpClientContext context) =>
        base.CanReuseOldClient(context)
        && UpstreamClientChoice.For(context.OldMetadata, context.OldConfig) == UpstreamClientChoice.For(context.NewMetadata, context.NewConfig)
        && Tls.UpstreamTls.Same(context.OldMetadata, context.NewMetadata)
        && NoReuse(context.OldMetadata) == NoReuse(context.NewMetadata)
        && MaxIdle(context.OldMetadata) == MaxIdle(context.NewMetadata)
        && BudgetGroup(context.OldMetadata) == BudgetGroup(context.NewMetadata);

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (context.NewConfig?.RequestHeaderEncoding is null)
        {
            // Kestrel decodes request header values as UTF-8; encoding them back the same way sends on the bytes the client
            // sent, as nginx and HAProxy do. SocketsHttpHandler's own default (ASCII only) failed such a request with a 502.
            handler.RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.UTF8;
        }

        Tls.UpstreamTls.Configure(context.NewMetadata, handler); // CA bundle and client certificate for https:// destinations
        if (tracing.Enabled)
        {
            // The try span's context is set by Tracing.TraceContextTransformProvider; SocketsHttpHandler's own propagation
            // would start an HttpRequestOut activity under it and send that (unexported) span's id instead.
            handler.ActivityHeadersPropagator = null;
        }

        if (NoReuse(context.NewMetadata))
        {
            handler.PooledConnectionLifetime = TimeSpan.Zero; // a connection is never returned to the pool
        }
    }

    private static bool NoReuse(IReadOnlyDictionary<string, string>? metadata) =>
        metadata?.TryGetValue(ConnectionReuseMetadataKey, out var value) == true && value.Equals("off", StringComparison.OrdinalIgnoreCase);

    private static int? MaxIdle(IReadOnlyDictionary<string, string>? metadata) =>
        metadata?.TryGetValue(MaxIdleConnectionsMetadataKey, out var value) == true
        && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var max) && max > 0
            ? max
            : null;

    private static string? BudgetGroup(IReadOnlyDictionary<string, string>? metadata) =>
        metadata?.TryGetValue(IdleBudgetGroupMetadataKey, out var group) == true && group.Length > 0 ? group : null;

    private LeanIdleBudget Budget(IReadOnlyDictionary<string, string>? metadata, int max) => BudgetGroup(metadata) is { } group
        ? _budgets.GetOrAdd(group + "\n" + max.ToString(System.Globalization.CultureInfo.InvariantCulture), max, static m => new LeanIdleBudget(m))
        : new LeanIdleBudget(max);

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        var inner = base.WrapHandler(context, handler);
        return UpstreamClientChoice.For(context.NewMetadata, context.NewConfig) == UpstreamClientKind.Lean
            ? t_built = new LeanHttpHandler(pools)
            {
                InnerHandler = inner,
                TraceContextInHeaders = tracing.Enabled,
                IdleBudget = MaxIdle(context.NewMetadata) is { } max ? Budget(context.NewMetadata, max) : null,
            }
            : inner;
    }
}
