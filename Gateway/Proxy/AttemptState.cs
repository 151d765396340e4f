using Gateway.Config;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// One proxied request's tries, shared (through the request's <see cref="RequestDeadline"/>) between the forwarding loop and the
/// response transform that holds back a retryable answer before it reaches the client. It also carries the
/// request and the way a try is sent, so a try through the circuit breaker needs no other state.
/// </summary>
internal sealed class AttemptState(RetryOptions options, ClusterState cluster, bool methodRetryable, long startTimestamp, TimeProvider time,
    HttpContext context, RequestDelegate next, IReverseProxyFeature proxy, IHttpForwarder? forwarder)
{
    private DestinationState? _first; // most requests take one try: no list for them
    private List<DestinationState>? _more;
    private List<DestinationState>? _untried;

    public RetryOptions Options { get; } = options;

    public ClusterState Cluster { get; } = cluster;

    public HttpContext Context { get; } = context;

    /// <summary>
    /// One try at <paramref name="destination"/>. With a forwarder, YARP's <see cref="IHttpForwarder"/> is called here, as
    /// YARP's own ForwarderMiddleware would call it (the chosen destination's address, the cluster's client, request
    /// config and the route's transforms): one async layer and its feature lookups less a try. Without one (the cluster's
    /// policy reads YARP's in-flight count, which only that middleware keeps) the try runs the rest of YARP's pipeline.
    /// Either way the result is the forwarder's error (None when it set no error feature); the forwarding loop reads the
    /// outcome from that feature and the response.
    /// </summary>
    public ValueTask<ForwarderError> SendAsync(DestinationState destination)
    {
        proxy.AvailableDestinations = destination;
        if (forwarder is null)
        {
            return ThroughPipelineAsync();
        }

        proxy.ProxiedDestination = destination; // read by YARP's session affinity transform, as after its middleware
        var model = proxy.Cluster;
        return forwarder.SendAsync(Context, destination.Model.Config.Address, model.HttpClient,
            model.Config.HttpRequest ?? ForwarderRequestConfig.Empty, proxy.Route.Transformer);
    }

    private async ValueTask<ForwarderError> ThroughPipelineAsync()
    {
        await next(Context);
        return Context.GetForwarderErrorFeature()?.Error ?? ForwarderError.None;
    }

    /// <summary>How many destinations have been tried.</summary>
    public int TriedCount => _first is null ? 0 : 1 + (_more?.Count ?? 0);

    public void AddTried(DestinationState destination)
    {
        if (_first is null)
        {
            _first = destination;
        }
        else
        {
            (_more ??= new List<DestinationState>(2)).Add(destination);
        }
    }

    /// <summary>The destination of the try under way (the last one added).</summary>
    public DestinationState Current => _more is { Count: > 0 } more ? more[^1] : _first!;

    public bool WasTried(DestinationState destination) =>
        ReferenceEquals(_first, destination) || (_more is not null && _more.Contains(destination));

    /// <summary>A status the transform held back for a retry (0 = none).</summary>
    public int HeldBackStatus { get; set; }

    /// <summary>
    /// nginx's rule: a retry is decided by the tries left alone, not by whether an untried destination is available now;
    /// when none is, the retry finds no live destination and the request ends as 502 (nginx.conf routes).
    /// </summary>
    public bool RetryWhileTriesLeft { get; init; }

    /// <summary>Whether the destinations' X-Queue-Depth goes on to the client (ResilienceOptions.PassQueueDepthHeader).</summary>
    public bool PassQueueDepthHeader { get; init; }

    /// <summary>The X-Queue-Depth the last response carried (-1 = none).</summary>
    public int ReportedQueueDepth { get; set; } = -1;

    /// <summary>Whether a retry could resend the request after it was sent (see <see cref="RequestBody"/>).</summary>
    public bool MethodRetryable => methodRetryable;

    /// <summary>The request's per-try and route deadlines.</summary>
    public RequestDeadline? Deadline { get; set; }

    /// <summary>The request's body as the forwarder reads it; null when the request has none.</summary>
    public RequestBody? Body { get; set; }

    /// <summary>Whether a retry after this try would be allowed for <paramref name="condition"/>, the request having been sent.</summary>
    public bool MayRetry(string condition, bool sent) =>
        TriedCount < Options.MaxTries
        && (!sent || methodRetryable)
        && (Body is null || Body.CanReplay)
        && Deadline?.RouteExpired != true
        && Options.Conditions.Contains(condition)
        && (Options.TotalTimeoutSeconds <= 0 || time.GetElapsedTime(startTimestamp).TotalSeconds < Options.TotalTimeoutSeconds)
        && (RetryWhileTriesLeft || HasUntried());

    /// <summary>
    /// The destinations still worth a try: available and not tried yet (never the same one twice). One list per request
    /// that retries, refilled for each retry; the policy picks from it through the cluster's own snapshot.
    /// </summary>
    public List<DestinationState> Untried()
    {
        var available = Cluster.DestinationsState.AvailableDestinations;
        var untried = _untried ??= new List<DestinationState>(available.Count);
        untried.Clear();
        foreach (var d in available)
        {
            if (!WasTried(d))
            {
                untried.Add(d);
            }
        }

        return untried;
    }

    private bool HasUntried()
    {
        foreach (var d in Cluster.DestinationsState.AvailableDestinations)
        {
            if (!WasTried(d))
            {
                return true;
            }
        }

        return false;
    }

    public static string StatusCondition(int status) => status switch
    {
        500 => "http_500",
        502 => "http_502",
        503 => "http_503",
        504 => "http_504",
        429 => "http_429",
        403 => "http_403",
        404 => "http_404",
        _ => "",
    };

    /// <summary>nginx: idempotent methods are retried after the request was sent; others only where the route says so.</summary>
    public static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
}
