using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Gateway.Hardening;

/// <summary>
/// First in the proxy pipeline, before any destination is picked: a request framed by both Content-Length and
/// Transfer-Encoding is refused, and one whose declared Content-Length is over the
/// body limit is answered 413 here. Kestrel would only notice once the body is read, and by then the forwarder has
/// sent the request head upstream (nginx, which buffers bodies, never forwards such a request either).
/// </summary>
internal sealed class RequestLimitsMiddleware(RequestDelegate next)
{
    private const string KestrelMovedContentLength = "X-Content-Length";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers.ContainsKey(HeaderNames.TransferEncoding)
            && (headers.ContainsKey(HeaderNames.ContentLength) || headers.ContainsKey(KestrelMovedContentLength)))
        {
            // RFC 9112 6.3: both framings at once "ought to be handled as an error" (it is how requests are smuggled past
            // a proxy that frames by one and a server that frames by the other); nginx answers 400 too. Kestrel frames such
            // a request by Transfer-Encoding, moves Content-Length to X-Content-Length and closes the connection after it
            // (so nothing smuggled after the body is read as a request), but would still forward it: refused here, unread.
            context.Response.Headers.Connection = "close";
            return Proxy.Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "Ambiguous request framing",
                "The request has both Content-Length and Transfer-Encoding; send one of them.", cluster: null, retryAfterSeconds: null);
        }

        if (context.Request.ContentLength is { } length
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } max && length > max)
        {
            // The body is not read; the connection cannot be reused after it.
            context.Response.Headers.Connection = "close";
            return Proxy.Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"The request declares a {length}-byte body; this gateway accepts at most {max} bytes (LbProxy.ServerLimits.MaxRequestBodyBytes).",
                cluster: null, retryAfterSeconds: null);
        }

        return next(context);
    }
}
