using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
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
        var connection = incoming.Connection;
        if (!NominatesAny(connection))
        {
            // Every request passes here: no Connection header, or only its options, costs a scan and no allocation.
            return ValueTask.CompletedTask;
        }

        foreach (var name in Nominated(connection).ToList())
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
        // NonValidated: the raw values as the backend sent them. TryGetValues would parse the header into HttpHeaders'
        // store (allocating) on every response, though a backend's Connection header is almost always "keep-alive".
        if (context.ProxyResponse is not { } response
            || !response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var raw))
        {
            return ValueTask.CompletedTask;
        }

        // One value (the usual case) is its own string; several are joined with ", ", which names the same tokens.
        RemoveNominated(context.HttpContext.Response.Headers, raw.ToString());
        return ValueTask.CompletedTask;
    }

    /// <summary>Removes from a client's response the headers the destination's Connection values nominate.</summary>
    internal static void RemoveNominated(IHeaderDictionary response, StringValues connection)
    {
        if (!NominatesAny(connection))
        {
            return;
        }

        foreach (var name in Nominated(connection))
        {
            response.Remove(name);
        }
    }

    /// <summary>Whether a Connection value names any header (any token besides close, keep-alive, upgrade); allocates nothing.</summary>
    internal static bool NominatesAny(StringValues connection)
    {
        foreach (var value in connection)
        {
            var rest = (value ?? "").AsSpan();
            foreach (var range in rest.Split(','))
            {
                var token = rest[range].Trim();
                if (!token.IsEmpty && !IsConnectionOption(token))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsConnectionOption(ReadOnlySpan<char> token) =>
        token.Equals("close", StringComparison.OrdinalIgnoreCase) || token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || token.Equals("upgrade", StringComparison.OrdinalIgnoreCase);

    /// <summary>The header names a Connection value nominates, without its connection options (close, keep-alive, upgrade).</summary>
    private static IEnumerable<string> Nominated(StringValues connection)
    {
        foreach (var value in connection)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!IsConnectionOption(token))
                {
                    yield return token;
                }
            }
        }
    }
}
