using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics;
using Gateway.Hardening;
using Gateway.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Upstream;

/// <summary>
/// YARP's forwarder, with one case taken out of it: a bodiless HTTP/1.1 request to an http:// destination of a cluster
/// on the lean client, on a route whose transforms are the gateway's defaults. That request is forwarded without
/// HttpRequestMessage, HttpResponseMessage, YARP's transform pipeline or its stream copier: Kestrel's request headers
/// are written straight into a lean connection's buffer and the response head is parsed straight into Kestrel's
/// response (a sixth of the gateway's CPU a request, measured). What a client and a destination see is what YARP's
/// forwarder with those transforms and the lean client would give them: the same request line and headers (X-Forwarded-*
/// as <see cref="ForwardedForTransformProvider"/> sets them, hop-by-hop ones dropped, the destination's Host), the
/// same response status, reason, headers and body, and on failure the same <see cref="ForwarderError"/> and status,
/// so the forwarding loop's retries, breakers and deadlines see no difference. Everything else goes to YARP's
/// forwarder: request bodies, upgrades, Expect, HTTP/2 clients, route transforms, nginx.conf locations, session
/// affinity, tracing, a destination with its own Host, header values that are not plain ASCII, a Connection header
/// that names other headers, clusters with Metadata "LeanForwarder": "off".
/// Differences: YARP's forwarder telemetry events are not written for these requests (the gateway's metrics and
/// logs are its own), and the activity timeout is kept by a watchdog to within a second (<see cref="LeanConnectionPools.WatchdogPeriod"/>).
/// </summary>
internal sealed class LeanForwarder : IHttpForwarder
{
    /// <summary>Cluster metadata: "off" sends the cluster's requests through YARP's forwarder.</summary>
    public const string MetadataKey = "LeanForwarder";

    /// <summary>YARP's stream copier's buffer.</summary>
    private const int CopyBufferSize = 65536;

    /// <summary>YARP's ActivityTimeout when the cluster sets none.</summary>
    private static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromSeconds(100);

    // YARP's hop-by-hop list (RequestUtilities): never copied either way.
    private static readonly FrozenSet<string> s_hopByHop = new[]
    {
        HeaderNames.Connection, HeaderNames.TransferEncoding, HeaderNames.KeepAlive, HeaderNames.Upgrade, HeaderNames.ProxyConnection,
        HeaderNames.ProxyAuthenticate, "Proxy-Authentication-Info", HeaderNames.ProxyAuthorization, "Proxy-Features", "Proxy-Instruction",
        "Security-Scheme", "ALPN", "Close", "HTTP2-Settings", HeaderNames.UpgradeInsecureRequests, HeaderNames.TE, HeaderNames.AltSvc,
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // The request headers the default transforms set or remove (X-Forwarded-*, Forwarded, Host): the client's are not sent.
    private static readonly FrozenSet<string> s_replaced = new[]
    {
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "Forwarded", HeaderNames.Host,
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // Content headers (HttpContent's): on a bodiless request YARP gives the message an empty content for them. Left to YARP.
    private static readonly FrozenSet<string> s_contentHeaders = new[]
    {
        HeaderNames.Allow, HeaderNames.ContentDisposition, HeaderNames.ContentEncoding, HeaderNames.ContentLanguage, HeaderNames.ContentLength,
        HeaderNames.ContentLocation, HeaderNames.ContentMD5, HeaderNames.ContentRange, HeaderNames.ContentType, HeaderNames.Expires,
        HeaderNames.LastModified,
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // Each request header the head writer does not just copy, looked up once: dropped (hop-by-hop, or replaced by the
    // default transforms), or a content header (the request is left to YARP).
    private static readonly FrozenDictionary<string, bool> s_notCopied = s_hopByHop.Concat(s_replaced).Select(n => KeyValuePair.Create(n, false))
        .Concat(s_contentHeaders.Select(n => KeyValuePair.Create(n, true))).ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // Which of the parser's known response headers are hop-by-hop, by index.
    private static readonly bool[] s_knownHopByHop = [.. Enumerable.Range(0, KnownHeaders.Count).Select(i => s_hopByHop.Contains(KnownHeaders.Name(i)))];

    // The path characters YARP sends unescaped; a path with any other is YARP's to escape.
    private static readonly System.Buffers.SearchValues<char> s_plainPath =
        System.Buffers.SearchValues.Create("!$&'()*+,-./0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~");

    private readonly IHttpForwarder _yarp;
    private readonly LeanConnectionPools _pools;
    private readonly LeanForwarderHttpClientFactory? _clients;
    private readonly Tracing.GatewayTracing _tracing;
    private readonly bool _transformsKnown;
    private long _forwarded;

    public LeanForwarder(IHttpForwarder yarp, LeanConnectionPools pools, IForwarderHttpClientFactory clients, Tracing.GatewayTracing tracing,
        IEnumerable<ITransformProvider> providers)
    {
        _yarp = yarp;
        _pools = pools;
        _clients = clients as LeanForwarderHttpClientFactory;
        _tracing = tracing;
        _transformsKnown = providers.All(KnownProvider);
    }

    /// <summary>Requests this forwarder sent itself (not handed to YARP's).</summary>
    public long ForwardedCount => Volatile.Read(ref _forwarded);

    /// <summary>
    /// Whether every transform provider is one whose transforms this forwarder applies (the gateway's) or that adds none
    /// for the routes it takes (nginx.conf's, session affinity's, tracing's). Another one (an embedding app's) turns it off.
    /// </summary>
    private static bool KnownProvider(ITransformProvider provider) => provider is RetryResponseTransformProvider or ForwardedForTransformProvider
        or HopByHopTransformProvider or Config.Nginx.NginxTransformProvider or Tracing.TraceContextTransformProvider
        || provider.GetType().FullName == "Yarp.ReverseProxy.SessionAffinity.AffinitizeTransformProvider";

    public ValueTask<ForwarderError> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient,
        ForwarderRequestConfig requestConfig, HttpTransformer transformer) =>
        Takes(context, destinationPrefix, httpClient, requestConfig, out var handler, out var pool, out var basePath)
            ? ForwardAsync(context, handler, pool, destinationPrefix, basePath, httpClient, requestConfig, transformer)
            : _yarp.SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer);

    public ValueTask<ForwarderError> SendAsync(HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient,
        ForwarderRequestConfig requestConfig, HttpTransformer transformer, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled
            ? _yarp.SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, cancellationToken)
            : SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer);

    private bool Takes(HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig,
        out LeanHttpHandler handler, out LeanConnectionPool pool, out ReadOnlyMemory<char> basePath)
    {
        handler = null!;
        pool = null!;
        basePath = default;
        if (!_transformsKnown || _tracing.Enabled || Activity.Current is not null || _clients is null || !_clients.TryGetLean(httpClient, out handler))
        {
            return false;
        }

        // The version YARP would ask for: HTTP/1.1 must be allowed (the lean client's rule).
        var version = requestConfig.Version ?? System.Net.HttpVersion.Version20;
        if ((version.Major != 1 && (requestConfig.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower) != HttpVersionPolicy.RequestVersionOrLower)
            || version == System.Net.HttpVersion.Version10)
        {
            return false;
        }

        var request = context.Request;
        var headers = request.Headers;
        if (!HttpProtocol.IsHttp11(request.Protocol) || request.ContentLength is not null || headers.TransferEncoding.Count > 0
            || headers.Upgrade.Count > 0 || headers.Expect.Count > 0 || HttpMethods.IsConnect(request.Method)
            || HopByHopTransformProvider.NominatesAny(headers.Connection))
        {
            return false;
        }

        if (context.Features.Get<IReverseProxyFeature>() is not { } proxy
            || proxy.Route.Config is { Transforms.Count: > 0 }
            || proxy.Route.Config.Metadata?.ContainsKey(Config.Nginx.NginxTranslator.LocationMetadataKey) == true
            || proxy.Route.Cluster?.Model.Config.SessionAffinity?.Enabled == true
            || proxy.Cluster?.Config is not { } cluster
            || cluster.SessionAffinity?.Enabled == true
            || (cluster.Metadata?.TryGetValue(MetadataKey, out var off) == true && off.Equals("off", StringComparison.OrdinalIgnoreCase))
            || proxy.ProxiedDestination?.Model.Config.Host is { Length: > 0 })
        {
            return false;
        }

        var prefix = destinationPrefix.AsSpan();
        if (!prefix.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var authorityEnd = prefix[7..].IndexOfAny('/', '?', '#');
        var authority = authorityEnd < 0 ? prefix : prefix[..(7 + authorityEnd)];
        if (authority.Length == 7 || authority.Contains('@') || authority.ContainsAny('%', '\\'))
        {
            return false;
        }

        // The destination's own path (YARP joins it to the request's path without doubling the slash).
        var path = request.Path.Value;
        basePath = destinationPrefix.AsMemory(authority.Length);
        if (basePath.Span.EndsWith("/"))
        {
            basePath = basePath[..^1];
        }

        if (path is not { Length: > 0 } || path[0] != '/' || path.AsSpan().ContainsAnyExcept(s_plainPath)
            || !Plain(basePath.Span) || !Plain(path) || !Plain(request.QueryString.Value))
        {
            return false;
        }

        pool = _pools.Get(authority);
        return true;
    }

    // What the lean client sends as the URI's text (not re-escaped by Uri): visible ASCII, no dot segment, backslash or fragment.
    private static bool Plain(ReadOnlySpan<char> text) =>
        !text.ContainsAnyExceptInRange((char)0x21, (char)0x7E) && !text.Contains("/.", StringComparison.Ordinal) && !text.ContainsAny('\\', '#');

    // One async method for the whole exchange, as the lean client's: no async layer of ours to box per request.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> ForwardAsync(HttpContext context, LeanHttpHandler handler, LeanConnectionPool pool, string destinationPrefix,
        ReadOnlyMemory<char> basePath, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig, HttpTransformer transformer)
    {
        var aborted = context.RequestAborted;
        var activityTimeoutMs = (long)(requestConfig.ActivityTimeout ?? DefaultActivityTimeout).TotalMilliseconds;
        LeanConnection connection;
        int headEnd;
        bool closeAfter;
        for (var retry = 0; ; retry++)
        {
            try
            {
                connection = pool.TryRent() ?? await pool.ConnectAsync(aborted);
            }
            catch (Exception e)
            {
                return RequestFailed(context, e, timedOut: false);
            }

            connection.IdleBudget = handler.IdleBudget;
            if (!TryWriteHead(connection, context, pool, basePath.Span, out closeAfter))
            {
                connection.ResetWrite();
                pool.Return(connection);
                return await _yarp.SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer);
            }

            if (retry == 0)
            {
                Interlocked.Increment(ref _forwarded);
            }

            connection.WatchActivity(activityTimeoutMs);
            try
            {
                try
                {
                    await connection.SendWrittenAsync(aborted);
                }
                catch (Exception e) when (LeanConnection.IsWriteFault(e))
                {
                    throw LeanConnection.WriteError(e);
                }

                while (true)
                {
                    var space = LeanHttpHandler.HeadOrSpace(connection, out headEnd);
                    if (headEnd >= 0)
                    {
                        break;
                    }

                    var received = await connection.ReceiveAsync(space, aborted);
                    if (received == 0)
                    {
                        throw LeanHttpHandler.HeadEnded();
                    }

                    connection.Commit(received);
                    connection.Active();
                }

                break;
            }
            catch (Exception e)
            {
                if (LeanHttpHandler.Failure(e, connection, bodiless: true, retry, aborted) is { } error)
                {
                    return RequestFailed(context, error, connection.ActivityTimedOut);
                }
            }
        }

        // The response head: status, reason and headers into Kestrel's response, as YARP copies them.
        var response = context.Response;
        var sink = new KestrelSink(response);
        ResponseHeadParser.Framing framing;
        try
        {
            framing = ResponseHeadParser.Parse(connection.Buffered[..headEnd], ref sink, connection.Cache);
        }
        catch (Exception e)
        {
            // A malformed head: the lean client throws this from SendAsync, which YARP reports as a failed request.
            connection.Dispose();
            return RequestFailed(context, e, timedOut: false);
        }

        connection.Consume(headEnd);
        var body = LeanHttpHandler.Body(connection, HttpMethods.IsHead(context.Request.Method), framing, closeAfter, trailers: null);
        try
        {
            if (framing.StatusCode == 101)
            {
                // A switch nobody asked for (no Upgrade was sent): YARP fails to upgrade the client's connection.
                throw new InvalidOperationException("The destination switched protocols though the request did not ask to upgrade.");
            }

            sink.Finish(context);
        }
        catch (Exception e)
        {
            body?.Dispose();
            Report(context, framing.StatusCode == 101 ? ForwarderError.UpgradeResponseClient : ForwarderError.ResponseHeaders, e);
            response.Clear();
            response.StatusCode = StatusCodes.Status502BadGateway;
            return framing.StatusCode == 101 ? ForwarderError.UpgradeResponseClient : ForwarderError.ResponseHeaders;
        }

        // The gateway's response transforms, in their order: the retry rule (which may hold the answer back), then
        // the headers the destination's Connection header nominates.
        var heldBack = RetryResponseTransform.Received(context, framing.StatusCode, sink.QueueDepth());
        HopByHopTransformProvider.RemoveNominated(response.Headers, sink.Connection);
        if (heldBack || body is null)
        {
            body?.Dispose(); // a held-back answer's body is dropped (kept connection when the rest is already here)
            return ForwarderError.None;
        }

        // The body, as YARP's stream copier: reads of up to 64 KB, each one written and flushed (streamed answers reach
        // the client as they come).
        var writer = response.BodyWriter;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, aborted);
                }
                catch (Exception e)
                {
                    return BodyFailed(context, aborted.IsCancellationRequested ? ForwarderError.ResponseBodyCanceled : ForwarderError.ResponseBodyDestination, e);
                }

                if (read == 0)
                {
                    if (connection.ActivityTimedOut && framing is { Chunked: false, ContentLength: < 0 })
                    {
                        // A body that ends with the connection ended by the watchdog, not by the destination.
                        return BodyFailed(context, ForwarderError.ResponseBodyDestination,
                            new TimeoutException("The destination sent nothing within the activity timeout."));
                    }

                    return ForwarderError.None;
                }

                try
                {
                    body.Active();
                    await writer.WriteAsync(buffer.AsMemory(0, read), aborted);
                    body.Active();
                }
                catch (Exception e)
                {
                    body.Dispose();
                    return BodyFailed(context, aborted.IsCancellationRequested ? ForwarderError.ResponseBodyCanceled : ForwarderError.ResponseBodyClient, e);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The request head YARP's forwarder and default transforms would have the lean client send; false (nothing counted)
    /// when a header is one YARP gives the message a content for, or a value is not plain ASCII.
    /// </summary>
    private static bool TryWriteHead(LeanConnection connection, HttpContext context, LeanConnectionPool pool, ReadOnlySpan<char> basePath, out bool closeAfter)
    {
        closeAfter = false;
        var request = context.Request;
        connection.ResetWrite();
        if (!RequestHead.TryWriteAscii(connection, Method(request.Method)) || !RequestHead.TryWriteAscii(connection, " ")
            || !RequestHead.TryWriteAscii(connection, basePath) || !RequestHead.TryWriteAscii(connection, request.Path.Value)
            || !RequestHead.TryWriteAscii(connection, request.QueryString.Value))
        {
            return false;
        }

        RequestHead.WriteBytes(connection, " HTTP/1.1\r\n"u8);
        RequestHead.WriteBytes(connection, pool.HostLine);
        foreach (var (name, values) in request.Headers)
        {
            if (values.Count == 0)
            {
                continue;
            }

            if (s_notCopied.TryGetValue(name, out var content))
            {
                if (content)
                {
                    return false;
                }

                continue;
            }

            if (!RequestHead.TryWriteHeader(connection, name, values))
            {
                return false;
            }
        }

        // ForwardedForTransformProvider's X-Forwarded-* (Set): the prefix, host and scheme this hop saw, then the client chain.
        if (request.PathBase.HasValue && !WriteHeader(connection, "X-Forwarded-Prefix", request.PathBase.ToUriComponent()))
        {
            return false;
        }

        if (request.Host.HasValue && !WriteHeader(connection, "X-Forwarded-Host", request.Host.ToUriComponent()))
        {
            return false;
        }

        if (!WriteHeader(connection, "X-Forwarded-Proto", request.Scheme)
            || (ForwardedForTransformProvider.Value(context) is { } forwardedFor && !WriteHeader(connection, ForwardedForTransformProvider.HeaderName, forwardedFor)))
        {
            return false;
        }

        if (RequestHead.MustHaveBody(request.Method))
        {
            RequestHead.WriteBytes(connection, "Content-Length: 0\r\n"u8);
        }

        RequestHead.WriteBytes(connection, "\r\n"u8);
        return true;

        static bool WriteHeader(LeanConnection connection, string name, string value) => RequestHead.TryWriteHeader(connection, name, value);
    }

    /// <summary>The method as YARP's HttpMethod for it says it: the known ones in capitals, any other as the client sent it.</summary>
    private static string Method(string method) =>
        HttpMethods.IsGet(method) ? "GET" : HttpMethods.IsHead(method) ? "HEAD" : HttpMethods.IsPost(method) ? "POST"
        : HttpMethods.IsPut(method) ? "PUT" : HttpMethods.IsDelete(method) ? "DELETE" : HttpMethods.IsOptions(method) ? "OPTIONS"
        : HttpMethods.IsPatch(method) ? "PATCH" : HttpMethods.IsTrace(method) ? "TRACE" : method;

    /// <summary>A try that got no response head, reported as YARP's forwarder reports it (HandleRequestFailureAsync).</summary>
    private static ForwarderError RequestFailed(HttpContext context, Exception e, bool timedOut)
    {
        var (error, status) = context.RequestAborted.IsCancellationRequested
            ? (ForwarderError.RequestCanceled, StatusCodes.Status400BadRequest) // the client left, or the gateway's deadline fired
            : e is OperationCanceledException || timedOut
                ? (ForwarderError.RequestTimedOut, StatusCodes.Status504GatewayTimeout)
                : (ForwarderError.Request, StatusCodes.Status502BadGateway);
        Report(context, error, e);
        context.Response.StatusCode = status;
        return error;
    }

    /// <summary>A body that failed part way, as YARP's HandleResponseBodyErrorAsync: a 502 if nothing was sent yet, else the connection aborted.</summary>
    private static ForwarderError BodyFailed(HttpContext context, ForwarderError error, Exception e)
    {
        Report(context, error, e);
        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return error;
        }

        context.Abort();
        return error;
    }

    private static void Report(HttpContext context, ForwarderError error, Exception e) =>
        context.Features.Set<IForwarderErrorFeature>(new LeanForwarderError(error, e));

    private sealed class LeanForwarderError(ForwarderError error, Exception exception) : IForwarderErrorFeature
    {
        public ForwarderError Error { get; } = error;

        public Exception? Exception { get; } = exception;
    }

    /// <summary>
    /// Kestrel's response as YARP's HttpTransformer fills it from an HttpResponseMessage: status, a reason that is not
    /// the status's usual one, every header but the hop-by-hop ones (repeated ones joined as repeated values), and the
    /// Content-Length rules for a Transfer-Encoding answer and a bodiless status.
    /// </summary>
    private struct KestrelSink(HttpResponse response) : ResponseHeadParser.ISink
    {
        // Names HttpHeaders accepts on a response or its content (TryAddWithoutValidation); the lean client drops others.
        private static readonly ConcurrentDictionary<string, bool> s_accepted = new(StringComparer.OrdinalIgnoreCase);

        private int _status;
        private string _reason = "";
        private bool _transferEncoding;
        private StringValues _contentLength;
        private StringValues _queueDepth;
        private Exception? _copyError; // Kestrel refused a header (YARP's copy throws there: ResponseHeaders)

        /// <summary>The destination's Connection header values (their nominated headers are removed afterwards).</summary>
        public StringValues Connection;

        public void Status(int code, bool http10, string reason)
        {
            _status = code;
            _reason = reason;
        }

        public void Known(int known, string value)
        {
            switch (known)
            {
                case KnownHeaders.ContentLength:
                    _contentLength = StringValues.Concat(_contentLength, value);
                    break;
                case KnownHeaders.TransferEncoding:
                    _transferEncoding = true;
                    break;
                case KnownHeaders.Connection:
                    Connection = StringValues.Concat(Connection, value);
                    break;
                case KnownHeaders.QueueDepth:
                    _queueDepth = StringValues.Concat(_queueDepth, value);
                    break;
            }

            if (!s_knownHopByHop[known])
            {
                Copy(KnownHeaders.Name(known), value);
            }
        }

        public void Other(string name, string value)
        {
            if (Accepted(name) && !s_hopByHop.Contains(name))
            {
                Copy(name, value);
            }
        }

        private void Copy(string name, string value)
        {
            if (_copyError is not null)
            {
                return;
            }

            try
            {
                var headers = response.Headers;
                if (!headers.TryGetValue(name, out var current) || current.Count == 0)
                {
                    headers[name] = value;
                }
                else if (!name.Equals(HeaderNames.StrictTransportSecurity, StringComparison.OrdinalIgnoreCase))
                {
                    headers[name] = StringValues.Concat(current, value); // YARP keeps a Strict-Transport-Security the gateway set
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
            {
                _copyError = e;
            }
        }

        /// <summary>The status line's part and the Content-Length rules, once all headers are in.</summary>
        public readonly void Finish(HttpContext context)
        {
            if (_copyError is not null)
            {
                throw _copyError;
            }

            response.StatusCode = _status;
            if (!string.Equals(_reason, ReasonPhrases.GetReasonPhrase(_status), StringComparison.Ordinal))
            {
                context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = _reason;
            }

            if ((_transferEncoding && _contentLength.Count > 0) || (_status is (>= 100 and < 200) or 204 or 205 && _contentLength.ToString() == "0"))
            {
                response.Headers.Remove(HeaderNames.ContentLength);
            }
        }

        /// <summary>The X-Queue-Depth the destination reported, as the retry transform reads it (-1: none, or not one number).</summary>
        public readonly int QueueDepth() =>
            _queueDepth.Count > 0 && int.TryParse(_queueDepth.ToString(), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var depth) ? depth : -1;

        private static bool Accepted(string name)
        {
            if (s_accepted.TryGetValue(name, out var accepted))
            {
                return accepted;
            }

            using var probe = new HttpResponseMessage { Content = new ByteArrayContent([]) };
            accepted = probe.Headers.TryAddWithoutValidation(name, "") || probe.Content.Headers.TryAddWithoutValidation(name, "");
            if (s_accepted.Count < 1024)
            {
                s_accepted[name] = accepted;
            }

            return accepted;
        }
    }
}
