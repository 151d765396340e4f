using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Config.Nginx;

/// <summary>Answers nginx gives itself: <c>return</c>, and its built-in error pages.</summary>
public static class NginxResponses
{
    private static readonly HashSet<int> s_addHeaderStatuses = [200, 201, 204, 206, 301, 302, 303, 304, 307, 308];

    public static Task ReturnAsync(HttpContext context, NginxRequestState state, NginxReturn ret, NginxLocation level,
        IReadOnlyDictionary<string, string> types)
    {
        if (ret.Code == 444)
        {
            context.Abort(); // nginx closes the connection without a response
            return Task.CompletedTask;
        }

        var response = context.Response;
        response.StatusCode = ret.Code;
        var text = ret.Text?.Evaluate(state);
        if (text is not null && ret.Code is not (301 or 302 or 303 or 307 or 308))
        {
            // Set before add_header: nginx sends default_type and an added Content-Type both.
            response.ContentType = TypeOf(state.Uri, types) ?? level.DefaultType;
        }

        AddHeaders(context, state, level.AddHeaders);
        if (ret.Code is 301 or 302 or 303 or 307 or 308)
        {
            if (text is not null)
            {
                response.Headers.Location = text.StartsWith('/') ? $"{context.Request.Scheme}://{context.Request.Host}{text}" : text;
            }

            return ErrorPageAsync(context, ret.Code);
        }

        if (text is null)
        {
            return ret.Code >= 400 ? ErrorPageAsync(context, ret.Code) : Task.CompletedTask;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(text); // nginx sends the headers only
            return Task.CompletedTask;
        }

        return response.WriteAsync(text);
    }

    /// <summary>nginx's ngx_http_set_content_type: the type of the URI's extension (after the last '.' of the last segment).</summary>
    internal static string? TypeOf(string uri, IReadOnlyDictionary<string, string> types)
    {
        var slash = uri.LastIndexOf('/');
        var dot = uri.LastIndexOf('.');
        return dot > slash && dot < uri.Length - 1 ? types.GetValueOrDefault(uri[(dot + 1)..].ToLowerInvariant()) : null;
    }

    /// <summary>
    /// A proxied request that ends without a server's answer (502, 504, 400): nginx's page, with the location's
    /// add_header ... always.
    /// </summary>
    public static Task UpstreamErrorAsync(HttpContext context, NginxRequestState state, int status)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (state.Location is { } location)
        {
            AddHeaders(context, state, location.AddHeaders);
        }

        return ErrorPageAsync(context, status);
    }

    /// <summary>The statuses nginx 1.22 has a built-in page for (ngx_http_error_pages); others go out with an empty body.</summary>
    private static bool HasPage(int status) => status is 301 or 302 or 303 or 307 or 308 or (>= 400 and <= 406) or (>= 408 and <= 416)
        or 421 or 429 or (>= 494 and <= 498) or (>= 500 and <= 505) or 507;

    /// <summary>nginx's own page for a status, as it sends it (text/html).</summary>
    public static Task ErrorPageAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        if (!HasPage(status) || HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.ContentLength = HttpMethods.IsHead(context.Request.Method) ? null : 0;
            return Task.CompletedTask;
        }

        var title = $"{status} {ReasonPhrases.GetReasonPhrase(status)}";
        context.Response.ContentType = "text/html";
        return context.Response.WriteAsync(
            $"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>lbproxy-nginx</center>\r\n</body>\r\n</html>\r\n");
    }

    /// <summary>add_header: only on the statuses nginx adds to, unless <c>always</c>; an empty value adds nothing.</summary>
    public static void AddHeaders(HttpContext context, NginxRequestState state, IReadOnlyList<NginxHeader> headers)
    {
        var status = context.Response.StatusCode;
        foreach (var header in headers)
        {
            if (!header.Always && !s_addHeaderStatuses.Contains(status))
            {
                continue;
            }

            var value = header.Value.Evaluate(state);
            if (value.Length > 0)
            {
                context.Response.Headers.Append(header.Name, value);
            }
        }
    }
}
