using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Hardening;

/// <summary>
/// First in the proxy pipeline, before any destination is picked: a request whose declared Content-Length is over the
/// body limit is answered 413 here. Kestrel would only notice once the body is read, and by then the forwarder has
/// sent the request head upstream (nginx, which buffers bodies, never forwards such a request either).
/// </summary>
internal sealed class RequestLimitsMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
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
