using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Gateway.Config.Nginx;

/// <summary>
/// One request as the nginx front sees it (kept as an HttpContext feature): the chosen server and location, the
/// location regex's captures, <c>set</c> variables, and what the upstream side reported, for variables.
/// </summary>
public sealed class NginxRequestState(HttpContext context, string host, string uri, string args, long startTimestamp)
    : Gateway.Proxy.IUpstreamFailureAnswer
{
    private List<string>? _upstreamAddrs; // one per try, as nginx lists them in $upstream_addr
    private List<string>? _upstreamStatuses;

    public HttpContext Context { get; } = context;

    /// <summary>Host header without port, lower case (nginx $host before the server_name fallback).</summary>
    public string Host { get; } = host;

    /// <summary>Decoded, normalised path (nginx $uri); an internal redirect (error_page) changes it.</summary>
    public string Uri { get; set; } = uri;

    /// <summary>Query string without '?' (nginx $args).</summary>
    public string Args { get; set; } = args;

    /// <summary>Whether an internal redirect changed the URI (then proxy_pass without a URI sends $uri, not the client's).</summary>
    public bool Redirected { get; set; }

    /// <summary>An error the front answers after the proxy pipeline returns (an error_page applies to it); 0 = none.</summary>
    public int PendingError { get; set; }

    /// <summary>An error_page was used (recursive_error_pages off: never a second).</summary>
    public bool ErrorPageUsed { get; set; }

    /// <summary>The status the client gets whatever the response's own (error_page without "=", or "=N"); 0 = none.</summary>
    public int StatusOverride { get; set; }

    /// <summary>Whether an error_page would handle <paramref name="status"/> here.</summary>
    public bool HasErrorPage(int status) => !ErrorPageUsed && Location?.ErrorPageFor(status) is not null;

    public long StartTimestamp { get; } = startTimestamp;

    public NginxServer? Server { get; set; }

    public NginxLocation? Location { get; set; }

    public GroupCollection? Captures { get; set; }

    public Dictionary<string, string> Set { get; } = new(StringComparer.Ordinal);

    /// <summary>nginx $upstream_addr: every try's server ("a, b"), the upstream's name for a try that found no live server.</summary>
    public string UpstreamAddr => _upstreamAddrs is null ? "" : string.Join(", ", _upstreamAddrs);

    /// <summary>nginx $upstream_status: every try's status ("502, 503"); 502/504 for a try that got no answer.</summary>
    public string UpstreamStatus => _upstreamStatuses is null ? "" : string.Join(", ", _upstreamStatuses);

    /// <summary>A try to <paramref name="address"/> (host:port) begins.</summary>
    public void BeginTry(string address)
    {
        PendingError = 0; // a retried try: what the last one left is not the answer
        (_upstreamAddrs ??= new List<string>(1)).Add(address);
        (_upstreamStatuses ??= new List<string>(1)).Add("");
    }

    /// <summary>The current try's status: its response's, or 502/504 when it got none.</summary>
    public void EndTry(int status)
    {
        if (_upstreamStatuses is { Count: > 0 } statuses && statuses[^1].Length == 0)
        {
            statuses[^1] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Where nginx's error lines of this request go (null: none).</summary>
    public NginxErrorLog? ErrorLog { get; set; }

    private long _logNumber;

    /// <summary>
    /// One error line with nginx's request context: ", client: ..., server: ..., request: "...", upstream: "...", host: "..."".
    /// </summary>
    public void LogError(string message, string upstream) => Log("error", message, upstream);

    /// <summary>One line at <paramref name="level"/> with nginx's request context (see <see cref="LogError"/>).</summary>
    public void Log(string level, string message, string upstream)
    {
        if (ErrorLog is not { } log || !log.Enabled(level))
        {
            return;
        }

        if (_logNumber == 0)
        {
            _logNumber = NginxErrorLog.NextRequestNumber();
        }

        var request = Context.Request;
        var line = $"{message}, client: {NginxVariables.Get("remote_addr", this)}, server: {Server?.FirstName}, "
            + $"request: \"{NginxVariables.Get("request", this)}\", upstream: \"http://{upstream}{UpstreamUri()}\", host: \"{request.Host.Value}\"";
        log.Write(level, _logNumber, line);
    }

    /// <summary>Where nginx's max_fails/fail_timeout are counted (null: not at all).</summary>
    public Gateway.LoadBalancing.NginxPeerMarks? PeerMarks { get; set; }

    // nginx's "[warn] upstream server temporarily disabled" of the last try, written after that try's own [error] line.
    private (string Upstream, string Action)? _pendingWarning;

    void Gateway.Proxy.IUpstreamFailureAnswer.TryEnded(Yarp.ReverseProxy.Model.ClusterState cluster, Yarp.ReverseProxy.Model.DestinationState destination,
        Gateway.Health.ForwardOutcome outcome)
    {
        FlushWarning();
        if (PeerMarks is null)
        {
            return;
        }

        // nginx frees the peer as failed after an error, a timeout, an invalid header or a status it goes on from, except
        // 403 and 404 (NGX_PEER_NEXT); anything else (a response, the client leaving) is a success for its counting.
        var failed = outcome.Kind switch
        {
            Gateway.Health.ForwardOutcomeKind.NotSent or Gateway.Health.ForwardOutcomeKind.TransportError or Gateway.Health.ForwardOutcomeKind.Timeout => true,
            Gateway.Health.ForwardOutcomeKind.RetryableStatus => outcome.StatusCode is not (StatusCodes.Status403Forbidden or StatusCodes.Status404NotFound),
            _ => false,
        };
        if (PeerMarks.Ended(cluster, destination, failed) && _upstreamAddrs is { Count: > 0 } addrs)
        {
            _pendingWarning = (addrs[^1], outcome.Kind == Gateway.Health.ForwardOutcomeKind.NotSent
                ? "connecting to upstream"
                : "reading response header from upstream");
        }
    }

    private void FlushWarning()
    {
        if (_pendingWarning is { } warning)
        {
            _pendingWarning = null;
            Log("warn", "upstream server temporarily disabled while " + warning.Action, warning.Upstream);
        }
    }

    private string UpstreamUri() =>
        Location is { Proxy: { } proxy } location ? NginxTransformProvider.UpstreamUri(this, location, proxy) : Uri;

    void Gateway.Proxy.IUpstreamFailureAnswer.TryFailed(Yarp.ReverseProxy.Model.DestinationState destination, int status, string cause)
    {
        EndTry(status);
        if (_upstreamAddrs is { Count: > 0 } addrs)
        {
            LogError(status == StatusCodes.Status504GatewayTimeout
                ? "upstream timed out (110: Connection timed out) while reading response header from upstream"
                : cause.Contains("refused", StringComparison.OrdinalIgnoreCase)
                    ? "connect() failed (111: Connection refused) while connecting to upstream"
                    : $"upstream failed ({cause}) while reading response header from upstream", addrs[^1]);
        }

        FlushWarning();
    }

    Task Gateway.Proxy.IUpstreamFailureAnswer.AnswerAsync(HttpContext context, int status, bool noLive)
    {
        FlushWarning();
        if (noLive && Location?.Proxy is { } proxy)
        {
            BeginTry(proxy.UpstreamName); // nginx: "no live upstreams", and $upstream_addr names the upstream
            EndTry(StatusCodes.Status502BadGateway);
            LogError("no live upstreams while connecting to upstream", proxy.UpstreamName);
        }

        if (HasErrorPage(status))
        {
            PendingError = status; // the front runs the error_page once the proxy pipeline has returned
            return Task.CompletedTask;
        }

        return NginxResponses.UpstreamErrorAsync(context, this, status);
    }

    public string UpstreamTime { get; set; } = "";

    /// <summary>Response body bytes written so far (nginx $body_bytes_sent).</summary>
    public long BodyBytesSent { get; set; }

    public TimeSpan Elapsed => TimeProvider.System.GetElapsedTime(StartTimestamp);
}
