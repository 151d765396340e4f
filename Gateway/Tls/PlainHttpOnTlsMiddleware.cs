using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tls;

/// <summary>
/// Answers a request that came as plain HTTP on a TLS listener (<see cref="PlainHttpOnTlsPort"/>): 400 with problem+json
/// naming the fix, and the connection closed, as nginx does. Under nginx.conf the front answers it instead, through
/// <c>error_page 497</c>. Registered only when some listener has TLS.
/// </summary>
internal sealed class PlainHttpOnTlsMiddleware(RequestDelegate next, Config.ConfigState config)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.IsHttps || !IsPlainOnTls(context) || config.Current?.Options.Nginx is not null)
        {
            return next(context);
        }

        context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose(); // Connection: close
        return Proxy.Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "The plain HTTP request was sent to HTTPS port",
            $"This port speaks TLS: send the request as https://{context.Request.Host}{context.Request.Path}{context.Request.QueryString}.",
            cluster: null, retryAfterSeconds: null);
    }

    public static bool IsPlainOnTls(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(PlainHttpOnTlsPort.ItemKey) == true;
}
