using Microsoft.AspNetCore.Http;

namespace Gateway.Config.Nginx;

/// <summary>Answers nginx gives itself: <c>return</c>, and its built-in error pages.</summary>
public static class NginxResponses
{
    /// <summary>nginx's NGX_HTTP_TO_HTTPS: plain HTTP on an ssl socket, sent as 400 (and the code <c>error_page 497</c> names).</summary>
    public const int PlainHttpOnTlsPort = 497;

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
        SetStatus(context, ret.Code);
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

    /// <summary>
    /// nginx 1.22's built-in pages (ngx_http_error_pages, observed from Debian's nginx): the title, and for its own 4xx
    /// codes 494-497 the line under it (they go out as 400). Statuses not here go out with an empty body.
    /// </summary>
    private static readonly Dictionary<int, (string Title, string? Detail)> s_pages = new()
    {
        [301] = ("301 Moved Permanently", null), [302] = ("302 Found", null), [303] = ("303 See Other", null),
        [307] = ("307 Temporary Redirect", null), [308] = ("308 Permanent Redirect", null),
        [400] = ("400 Bad Request", null), [401] = ("401 Authorization Required", null), [402] = ("402 Payment Required", null),
        [403] = ("403 Forbidden", null), [404] = ("404 Not Found", null), [405] = ("405 Not Allowed", null),
        [406] = ("406 Not Acceptable", null), [409] = ("409 Conflict", null), [410] = ("410 Gone", null),
        [411] = ("411 Length Required", null), [412] = ("412 Precondition Failed", null),
        [413] = ("413 Request Entity Too Large", null), [414] = ("414 Request-URI Too Large", null),
        [415] = ("415 Unsupported Media Type", null), [416] = ("416 Requested Range Not Satisfiable", null),
        [421] = ("421 Misdirected Request", null), [429] = ("429 Too Many Requests", null),
        [494] = ("400 Request Header Or Cookie Too Large", "Request Header Or Cookie Too Large"),
        [495] = ("400 The SSL certificate error", "The SSL certificate error"),
        [496] = ("400 No required SSL certificate was sent", "No required SSL certificate was sent"),
        [497] = ("400 The plain HTTP request was sent to HTTPS port", "The plain HTTP request was sent to HTTPS port"),
        [500] = ("500 Internal Server Error", null), [501] = ("501 Not Implemented", null), [502] = ("502 Bad Gateway", null),
        [503] = ("503 Service Temporarily Unavailable", null), [504] = ("504 Gateway Time-out", null),
        [505] = ("505 HTTP Version Not Supported", null), [507] = ("507 Insufficient Storage", null),
    };

    /// <summary>nginx's status lines where they differ from Kestrel's reason phrases (ngx_http_status_lines).</summary>
    private static readonly Dictionary<int, string> s_reasons = new()
    {
        [302] = "Moved Temporarily", [405] = "Not Allowed", [413] = "Request Entity Too Large", [414] = "Request-URI Too Large",
        [416] = "Requested Range Not Satisfiable", [503] = "Service Temporarily Unavailable", [504] = "Gateway Time-out",
    };

    /// <summary>The status with nginx's reason phrase.</summary>
    public static void SetStatus(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        if (s_reasons.TryGetValue(status, out var reason) && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = reason;
        }
    }

    /// <summary>nginx's own page for a status, as it sends it: text/html with a Content-Length (HEAD: the headers only).</summary>
    public static Task ErrorPageAsync(HttpContext context, int status)
    {
        if (status == StatusCodes.Status408RequestTimeout)
        {
            context.Abort(); // nginx closes the connection on a 408 without answering
            return Task.CompletedTask;
        }

        SetStatus(context, status is >= 494 and <= 497 ? StatusCodes.Status400BadRequest : status); // nginx's own codes go out as 400
        if (!s_pages.TryGetValue(status, out var page))
        {
            context.Response.ContentLength = HttpMethods.IsHead(context.Request.Method) ? null : 0;
            return Task.CompletedTask;
        }

        var detail = page.Detail is null ? "" : $"<center>{page.Detail}</center>\r\n";
        var body = System.Text.Encoding.ASCII.GetBytes(
            $"<html>\r\n<head><title>{page.Title}</title></head>\r\n<body>\r\n<center><h1>{(page.Detail is null ? page.Title : "400 Bad Request")}</h1></center>\r\n{detail}<hr><center>lbproxy-nginx</center>\r\n</body>\r\n</html>\r\n");
        context.Response.ContentType = "text/html";
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body).AsTask();
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

            var value = header.Value.EvaluateAsHeaderBytes(state);
            if (value.Length > 0)
            {
                context.Response.Headers.Append(header.Name, value);
            }
        }
    }
}
