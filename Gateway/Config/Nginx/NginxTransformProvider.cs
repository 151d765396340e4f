using System.Text;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Config.Nginx;

/// <summary>
/// The upstream request and response of a location's route as nginx makes them: Host is $proxy_host unless
/// proxy_set_header sets it; proxy_set_header replaces the client's header of that name (an empty value removes
/// it); no X-Forwarded-* of YARP's own; the URI by nginx's proxy_pass rule; add_header on the response.
/// </summary>
internal sealed class NginxTransformProvider : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.ContainsKey(NginxTranslator.LocationMetadataKey) != true)
        {
            return;
        }

        context.UseDefaultForwarders = false;
        context.CopyRequestHeaders = true;
        // Keeps YARP from dropping a Host that happens to equal the client's: Host is ours to set (below).
        context.AddOriginalHost(true);
        context.AddRequestTransform(Request);
        context.AddResponseTransform(Response);
    }

    private static ValueTask Request(RequestTransformContext ctx)
    {
        if (ctx.HttpContext.Features.Get<NginxRequestState>() is not { Location.Proxy: { } proxy } state)
        {
            return ValueTask.CompletedTask;
        }

        var location = state.Location!;
        var outgoing = ctx.ProxyRequest;
        var host = proxy.ProxyHost;
        foreach (var header in Effective(location.ProxySetHeaders))
        {
            var value = header.Value.Evaluate(state);
            if (header.Name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                host = value;
                continue;
            }

            if (header.Name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Equals("close", StringComparison.OrdinalIgnoreCase))
            {
                outgoing.Headers.ConnectionClose = true; // nginx's default: one upstream connection per request
                continue;
            }

            var content = IsContentHeader(header.Name);
            if (content)
            {
                outgoing.Content?.Headers.Remove(header.Name);
            }
            else
            {
                outgoing.Headers.Remove(header.Name);
            }

            if (value.Length > 0)
            {
                _ = content ? outgoing.Content?.Headers.TryAddWithoutValidation(header.Name, value) : outgoing.Headers.TryAddWithoutValidation(header.Name, value);
            }
        }

        outgoing.Headers.Host = host.Length > 0 ? host : null;
        state.BeginTry(Authority(ctx.DestinationPrefix));
        outgoing.RequestUri = new Uri(ctx.DestinationPrefix.TrimEnd('/') + UpstreamUri(state, location, proxy));
        return ValueTask.CompletedTask;
    }

    /// <summary>"host:port" of a destination prefix ("http://host:port/..."), as nginx names the server in $upstream_addr.</summary>
    private static string Authority(string prefix)
    {
        var start = prefix.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = prefix.IndexOf('/', start);
        return end < 0 ? prefix[start..] : prefix[start..end];
    }

    /// <summary>
    /// nginx's built-in proxy headers (Host $proxy_host, Connection close, and no Keep-Alive, Expect, Upgrade or TE from
    /// the client) with the location's proxy_set_header over them by name.
    /// </summary>
    private static IEnumerable<NginxHeader> Effective(IReadOnlyList<NginxHeader> configured)
    {
        foreach (var builtIn in s_defaults)
        {
            if (!configured.Any(h => h.Name.Equals(builtIn.Name, StringComparison.OrdinalIgnoreCase)))
            {
                yield return builtIn;
            }
        }

        foreach (var header in configured)
        {
            yield return header;
        }
    }

    private static readonly NginxHeader[] s_defaults = [.. new[] { ("Connection", "close"), ("Keep-Alive", ""), ("Expect", ""), ("Upgrade", ""), ("TE", "") }
        .Select(p => new NginxHeader(p.Item1, NginxTemplate.Parse(p.Item2, new NginxDirective("proxy_set_header", [], null, "built-in", 0))))];

    private static bool IsContentHeader(string name) => name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expires", StringComparison.OrdinalIgnoreCase) || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Allow", StringComparison.OrdinalIgnoreCase);

    /// <summary>nginx's proxy_pass URI rule.</summary>
    internal static string UpstreamUri(NginxRequestState state, NginxLocation location, NginxProxyTarget proxy)
    {
        if (proxy.Uri is null)
        {
            // After an internal redirect nginx sends the new $uri (escaped) and $args, not the client's request line.
            return !state.Redirected ? NginxVariables.RawTarget(state.Context)
                : state.Args.Length > 0 ? Escape(state.Uri) + "?" + state.Args : Escape(state.Uri);
        }

        if (proxy.Uri.HasVariables)
        {
            return proxy.Uri.Evaluate(state);
        }

        var rest = location.Kind is NginxLocationKind.Prefix or NginxLocationKind.PrefixNoRegex or NginxLocationKind.Exact
            && state.Uri.StartsWith(location.Name, StringComparison.Ordinal) ? state.Uri[location.Name.Length..] : "";
        var uri = Escape(proxy.Uri.Source + rest);
        return state.Args.Length > 0 ? uri + "?" + state.Args : uri;
    }

    /// <summary>ngx_escape_uri(NGX_ESCAPE_URI): space, '#', '%', '?', control characters and non-ASCII bytes.</summary>
    private static string Escape(string uri)
    {
        var sb = new StringBuilder(uri.Length);
        foreach (var b in Encoding.UTF8.GetBytes(uri))
        {
            if (b <= 0x20 || b >= 0x7f || b is (byte)'#' or (byte)'%' or (byte)'?')
            {
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.ToString();
    }

    private static ValueTask Response(ResponseTransformContext ctx)
    {
        if (ctx.HttpContext.Features.Get<NginxRequestState>() is not { Location: { } location } state)
        {
            return ValueTask.CompletedTask;
        }

        if (ctx.ProxyResponse is { } upstream)
        {
            var status = (int)upstream.StatusCode;
            state.EndTry(status);
            if (location.InterceptErrors && status >= 300 && !ctx.SuppressResponseBody && state.HasErrorPage(status))
            {
                // proxy_intercept_errors: the answer is dropped and the error_page answers instead (the front runs it).
                ctx.SuppressResponseBody = true;
                ctx.HttpContext.Response.Clear();
                state.PendingError = status;
                return ValueTask.CompletedTask;
            }
        }

        NginxResponses.AddHeaders(ctx.HttpContext, state, location.AddHeaders);
        return ValueTask.CompletedTask;
    }
}
