using System.Diagnostics;

namespace Gateway.Upstream;

/// <summary>
/// The gateway's own HTTP/1.1 client for http:// destinations, in YARP's place for SocketsHttpHandler (which stays as
/// <see cref="DelegatingHandler.InnerHandler"/> for everything else: https, HTTP/2 asked for exactly, upgrades,
/// Expect: 100-continue, CONNECT, a request being traced, header values that are not plain ASCII).
/// What YARP sees is what SocketsHttpHandler would give it: HttpRequestException with HttpRequestError.ConnectionError
/// when the connection fails, ResponseEnded/InvalidResponse when the response is cut or malformed, IOException from a
/// body that ends early, OperationCanceledException on cancellation; a request without a body whose connection closes
/// before any byte of the answer is sent again on a new connection (up to 3 times), as SocketsHttpHandler does.
/// </summary>
internal sealed class LeanHttpHandler(LeanConnectionPools pools) : DelegatingHandler
{
    /// <summary>The cluster's cap on idle connections it leaves in the pools (cluster metadata; null: none).</summary>
    public LeanIdleBudget? IdleBudget { get; init; }

    /// <summary>SocketsHttpHandler's MaxResponseHeadersLength default (64 KB).</summary>
    public const int MaxResponseHeadBytes = 64 * 1024;

    /// <summary>The gateway's tracing is on: a traced request's traceparent is already in its headers (Tracing.TraceContextTransformProvider).</summary>
    public bool TraceContextInHeaders { get; init; }

    /// <summary>SocketsHttpHandler retries a bodiless request this many times when a connection closes before answering.</summary>
    private const int MaxConnectionFailureRetries = 3;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!TryRoute(request, out var pool, out var pathStart))
        {
            return base.SendAsync(request, cancellationToken);
        }

        return SendLeanAsync(request, pool, pathStart, cancellationToken);
    }

    /// <summary>The pool for a request the lean client takes, and where its path starts in the URI string.</summary>
    private bool TryRoute(HttpRequestMessage request, out LeanConnectionPool pool, out int pathStart)
    {
        pool = null!;
        pathStart = 0;
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri
            || !AllowsHttp11(request.Version, request.VersionPolicy)
            || request.Method == HttpMethod.Connect
            // Traced by someone else: SocketsHttpHandler propagates the context (traceparent) as YARP configured it. The gateway's
            // own tracing (Gateway/Tracing) writes traceparent into the request's headers, which this client sends as they are.
            || (Activity.Current is not null && !TraceContextInHeaders)
            || request.Headers.Protocol is not null
            || request.Headers.NonValidated.Contains("Upgrade")
            || request.Headers.NonValidated.Contains("Expect"))
        {
            return false;
        }

        var text = uri.OriginalString.AsSpan();
        if (!TryPrefix(text, out var prefixLength))
        {
            return false;
        }

        pool = pools.Get(text[..prefixLength]);
        pathStart = prefixLength;
        return true;
    }

    /// <summary>Whether a request of this version and policy may be sent as HTTP/1.1 (not 1.0, and 2 or 3 only "or lower").</summary>
    internal static bool AllowsHttp11(Version version, HttpVersionPolicy policy) =>
        (version.Major == 1 || policy == HttpVersionPolicy.RequestVersionOrLower) && version != System.Net.HttpVersion.Version10;

    /// <summary>
    /// The length of "http://host:port" at the start of a URI string, when this client can take it: plain http, a host,
    /// no user info or escapes in the authority (SocketsHttpHandler's to interpret).
    /// </summary>
    internal static bool TryPrefix(ReadOnlySpan<char> uri, out int length)
    {
        length = 0;
        if (!uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var authorityEnd = uri[7..].IndexOfAny('/', '?', '#');
        var prefix = authorityEnd < 0 ? uri : uri[..(7 + authorityEnd)];
        if (prefix.Length == 7 || prefix.Contains('@') || prefix.ContainsAny('%', '\\'))
        {
            return false;
        }

        length = prefix.Length;
        return true;
    }

    /// <summary>Target text this client sends as it is (Uri would re-escape it otherwise): visible ASCII, no dot segment, no backslash.</summary>
    internal static bool IsPlain(ReadOnlySpan<char> text) =>
        !text.ContainsAnyExceptInRange((char)0x21, (char)0x7E) && !text.Contains("/.", StringComparison.Ordinal) && !text.Contains('\\');

    // One async method for the whole exchange: each awaited async method of our own would allocate its state machine
    // whenever the backend makes it wait, which it does on every request (measured: ~600 B/request for four layers).
    private async Task<HttpResponseMessage> SendLeanAsync(HttpRequestMessage request, LeanConnectionPool pool, int pathStart, CancellationToken cancellationToken)
    {
        var pathAndQuery = PathAndQuery(request.RequestUri!, pathStart);
        for (var retry = 0; ; retry++)
        {
            var connection = pool.TryRent() ?? await pool.ConnectAsync(cancellationToken);
            connection.IdleBudget = IdleBudget;
            if (!RequestHead.TryWrite(connection, request, pathAndQuery.Span, pool, out var framing))
            {
                connection.ResetWrite();
                pool.Return(connection);
                return await base.SendAsync(request, cancellationToken);
            }

            try
            {
                if (request.Content is { } content)
                {
                    var body = new RequestBodyStream(connection, framing);
                    await content.CopyToAsync(body, cancellationToken);
                    await body.CompleteAsync(cancellationToken);
                }
                else
                {
                    try
                    {
                        await connection.SendWrittenAsync(cancellationToken); // no async layer of ours in between
                    }
                    catch (Exception e) when (LeanConnection.IsWriteFault(e))
                    {
                        throw LeanConnection.WriteError(e);
                    }
                }

                while (true)
                {
                    var space = HeadOrSpace(connection, out var headEnd);
                    if (headEnd >= 0)
                    {
                        return BuildResponse(connection, request, headEnd, framing.CloseAfter);
                    }

                    var received = await connection.ReceiveAsync(space, cancellationToken);
                    if (received == 0)
                    {
                        throw HeadEnded();
                    }

                    connection.Commit(received);
                }
            }
            catch (Exception e)
            {
                if (Failure(e, connection, request.Content is null, retry, cancellationToken) is { } error)
                {
                    if (error == e)
                    {
                        throw;
                    }

                    throw error;
                }
            }
        }
    }

    /// <summary>
    /// Where the final response head ends in the connection's buffer (<paramref name="headEnd"/>; interim 1xx answers
    /// are skipped), or -1 and the space to receive more of it into.
    /// </summary>
    internal static Memory<byte> HeadOrSpace(LeanConnection connection, out int headEnd)
    {
        while ((headEnd = ResponseHeadParser.FindEnd(connection.Buffered)) >= 0)
        {
            var status = ResponseHeadParser.StatusCode(connection.Buffered[..headEnd], out _);
            if (status is >= 100 and < 200 && status != 101)
            {
                connection.Consume(headEnd); // an interim answer (100, 103): the final one follows
                continue;
            }

            return Memory<byte>.Empty;
        }

        var space = connection.BufferedCount >= MaxResponseHeadBytes ? Memory<byte>.Empty : connection.ReadSpace(MaxResponseHeadBytes);
        if (space.IsEmpty)
        {
            throw new HttpRequestException(HttpRequestError.ConfigurationLimitExceeded,
                $"The HTTP response headers length exceeded the set limit of {MaxResponseHeadBytes} bytes.");
        }

        return space;
    }

    /// <summary>The connection closed before the response head was whole.</summary>
    internal static HttpRequestException HeadEnded() => new(HttpRequestError.ResponseEnded, "An error occurred while sending the request.",
        new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."));

    /// <summary>
    /// A try that failed before its response head, as SocketsHttpHandler reports it: null when the request should be sent
    /// again on a new connection (a bodiless one whose connection closed before answering, up to 3 times), else the
    /// exception to throw (<paramref name="e"/> itself when it is already what SocketsHttpHandler throws). Closes the connection.
    /// </summary>
    internal static Exception? Failure(Exception e, LeanConnection connection, bool bodiless, int retry, CancellationToken cancellationToken)
    {
        connection.Dispose();
        var error = LeanConnection.TransportError(e);
        var closedUnanswered = !connection.ReceivedAny
            && (error is IOException || (error is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }));
        if (closedUnanswered && bodiless && retry < MaxConnectionFailureRetries && !cancellationToken.IsCancellationRequested
            && !connection.ActivityTimedOut)
        {
            return null; // SocketsHttpHandler sends a bodiless request again when the connection closed before answering
        }

        if (error == e && e is OperationCanceledException or HttpRequestException)
        {
            return e;
        }

        return error switch
        {
            OperationCanceledException or HttpRequestException => error,
            HttpIOException io => new HttpRequestException(io.HttpRequestError, "An error occurred while sending the request.", io),
            _ => new HttpRequestException(HttpRequestError.Unknown, "An error occurred while sending the request.", error),
        };
    }

    /// <summary>
    /// The request target: the URI string after the authority when it is plain (YARP builds it escaped), else what
    /// Uri makes of it, as SocketsHttpHandler sends.
    /// </summary>
    private static ReadOnlyMemory<char> PathAndQuery(Uri uri, int pathStart)
    {
        var original = uri.OriginalString.AsMemory(pathStart);
        var span = original.Span;
        var fragment = span.IndexOf('#');
        if (fragment >= 0)
        {
            original = original[..fragment];
            span = original.Span;
        }

        return span.Length > 0 && span[0] == '/' && IsPlain(span) ? original : uri.PathAndQuery.AsMemory();
    }

    /// <summary>The final response from its head (buffered whole), with the body stream its framing calls for.</summary>
    private static HttpResponseMessage BuildResponse(LeanConnection connection, HttpRequestMessage request, int headEnd, bool closeAfter)
    {
        var content = new LeanResponseContent();
        var response = new HttpResponseMessage { RequestMessage = request, Content = content };
        var framing = ResponseHeadParser.Parse(connection.Buffered[..headEnd], response, content, connection.Cache);
        connection.Consume(headEnd);
        if (Body(connection, request.Method == HttpMethod.Head, framing, closeAfter, response) is { } body)
        {
            content.SetBody(body);
        }

        return response;
    }

    /// <summary>
    /// The body stream a response's framing calls for (its head consumed from the connection), or null when it has none;
    /// the connection is then back in its pool, or closed when the response said so. A chunked body's trailers go to
    /// <paramref name="trailers"/> (null: read and dropped, as for a client that cannot take them).
    /// </summary>
    internal static ResponseBodyStream? Body(LeanConnection connection, bool headRequest, in ResponseHeadParser.Framing framing, bool closeAfter,
        HttpResponseMessage? trailers)
    {
        var status = framing.StatusCode;
        var keepAlive = !closeAfter && !framing.Close && (!framing.Http10 || framing.KeepAlive) && status != 101;
        if (headRequest || status is 204 or 304)
        {
            Release(connection, keepAlive);
            return null;
        }

        if (framing.Chunked)
        {
            return new ChunkedBodyStream(connection, keepAlive, trailers);
        }

        if (framing.ContentLength >= 0 && !framing.TransferEncoding)
        {
            if (framing.ContentLength == 0)
            {
                Release(connection, keepAlive);
                return null;
            }

            return new ContentLengthBodyStream(connection, keepAlive, framing.ContentLength);
        }

        return new UntilCloseBodyStream(connection);
    }

    private static void Release(LeanConnection connection, bool keepAlive)
    {
        if (keepAlive && connection.BufferedCount == 0)
        {
            connection.Pool.Return(connection);
        }
        else
        {
            connection.Dispose();
        }
    }
}
