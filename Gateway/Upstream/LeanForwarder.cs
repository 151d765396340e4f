using System.Diagnostics;
using Gateway.Hardening;
using Gateway.Proxy;
using Microsoft.AspNetCore.Http;
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

        // The version YARP would ask for (its defaults: 2.0, or lower): HTTP/1.1 must be allowed (the lean client's rule).
        if (!LeanHttpHandler.AllowsHttp11(requestConfig.Version ?? System.Net.HttpVersion.Version20,
            requestConfig.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower))
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

        if (!LeanHttpHandler.TryPrefix(destinationPrefix, out var authorityLength))
        {
            return false;
        }

        // The destination's own path (YARP joins it to the request's path without doubling the slash).
        var path = request.Path.Value;
        basePath = destinationPrefix.AsMemory(authorityLength);
        if (basePath.Span.EndsWith("/"))
        {
            basePath = basePath[..^1];
        }

        if (path is not { Length: > 0 } || path[0] != '/' || path.AsSpan().ContainsAnyExcept(YarpHeaderRules.PlainPath)
            || !Plain(basePath.Span) || !Plain(path) || !Plain(request.QueryString.Value))
        {
            return false;
        }

        pool = _pools.Get(destinationPrefix.AsSpan(0, authorityLength));
        return true;
    }

    // What the lean client sends as the URI's text, and no fragment (the Uri YARP builds would cut it off).
    private static bool Plain(ReadOnlySpan<char> text) => LeanHttpHandler.IsPlain(text) && !text.Contains('#');

    // One async method for the whole exchange, as the lean client's: no async layer of ours to box per request.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> ForwardAsync(HttpContext context, LeanHttpHandler handler, LeanConnectionPool pool, string destinationPrefix,
        ReadOnlyMemory<char> basePath, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig, HttpTransformer transformer)
    {
        var aborted = context.RequestAborted;
        // Infinite (-1 ms) is never, as YARP's CancelAfter takes it; any other value is watched (0: at the next check).
        var activityTimeoutMs = (long)(requestConfig.ActivityTimeout ?? DefaultActivityTimeout).TotalMilliseconds is var ms && ms < 0 ? 0 : Math.Max(ms, 1);
        LeanConnection connection;
        int headEnd;
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
            if (!LeanRequestHead.TryWrite(connection, context, pool, basePath.Span))
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
        var sink = new LeanResponseSink(response);
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
        // Not closed after for the client's sake: its Connection header is never sent on.
        var body = LeanHttpHandler.Body(connection, HttpMethods.IsHead(context.Request.Method), framing, closeAfter: false, trailers: null);
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
            var error = framing.StatusCode == 101 ? ForwarderError.UpgradeResponseClient : ForwarderError.ResponseHeaders;
            Report(context, error, e);
            response.Clear();
            response.StatusCode = StatusCodes.Status502BadGateway;
            return error;
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
                    await writer.WriteAsync(buffer.AsMemory(0, read), aborted);
                    body.Active(); // the read moved the activity deadline on, and so does a write a slow client held up
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
}
