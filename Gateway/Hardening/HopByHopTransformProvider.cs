using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Hardening;

/// <summary>
/// Headers named in a Connection header are hop-by-hop (RFC 9110 7.6.1: "a proxy or gateway MUST ... remove any header
/// fields nominated by the Connection header field"), both ways. YARP drops the fixed hop-by-hop set (Connection,
/// Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade) but passes on the ones a message nominates, so a client
/// could strip a header the gateway adds for the backend, or a backend leak a header meant for the gateway alone.
/// nginx.conf locations keep nginx's behaviour (nginx passes nominated headers on) and are left alone.
/// </summary>
internal sealed class HopByHopTransformProvider : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.ContainsKey(Config.Nginx.NginxTranslator.LocationMetadataKey) == true)
        {
            return;
        }

        context.AddRequestTransform(RemoveNominatedRequestHeaders);
        context.AddResponseTransform(RemoveNominatedResponseHeaders);
    }

    private static ValueTask RemoveNominatedRequestHeaders(RequestTransformContext context)
    {
        var incoming = context.HttpContext.Request.Headers;
        foreach (var name in Nominated(incoming.Connection).ToList())
        {
            RequestTransform.RemoveHeader(context, name);
            if (!context.HeadersCopied)
            {
                // YARP copies the client's headers after the transforms when no transform needed them copied before:
                // a header is kept out of that copy only by taking it off the incoming request, which is this hop's.
                incoming.Remove(name);
            }
        }

        return ValueTask.CompletedTask;
    }

    private static ValueTask RemoveNominatedResponseHeaders(ResponseTransformContext context)
    {
        if (context.ProxyResponse is { } response && response.Headers.TryGetValues("Connection", out var values))
        {
            foreach (var name in Nominated(new Microsoft.Extensions.Primitives.StringValues([.. values])))
            {
                context.HttpContext.Response.Headers.Remove(name);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The header names a Connection value nominates, without its connection options (close, keep-alive, upgrade).</summary>
    private static IEnumerable<string> Nominated(Microsoft.Extensions.Primitives.StringValues connection)
    {
        foreach (var value in connection)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!token.Equals("close", StringComparison.OrdinalIgnoreCase) && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    && !token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    yield return token;
                }
            }
        }
    }
}
