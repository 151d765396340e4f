using Gateway.Config;
using Microsoft.AspNetCore.Http;

namespace Gateway.Hardening;

/// <summary>
/// First on the proxy listener: when the connection comes from a trusted proxy (<c>LbProxy.TrustedProxies</c>), the
/// request's client address (<c>HttpContext.Connection.RemoteIpAddress</c>, which ip-hash, client-ip hashing and rate
/// limits read) becomes the client X-Forwarded-For names. Without trusted proxies it costs one volatile read.
/// </summary>
internal sealed class ClientAddressMiddleware(RequestDelegate next, ConfigState config)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (config.Current?.Options.TrustedProxies is { IsEmpty: false } trusted
            && context.Connection.RemoteIpAddress is { } peer
            && trusted.ClientAddress(peer, context.Request.Headers[ForwardedForTransformProvider.HeaderName]) is { } client)
        {
            Proxy.RareFeature<ForwardedChain>.Set(context, new ForwardedChain(peer, context.Request.Headers[ForwardedForTransformProvider.HeaderName].ToString()));
            context.Connection.RemoteIpAddress = client;
        }

        return next(context);
    }
}
