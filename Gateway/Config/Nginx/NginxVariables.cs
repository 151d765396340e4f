using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Config.Nginx;

/// <summary>The nginx variables the translation supports, read from the request as nginx defines them.</summary>
public static class NginxVariables
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "host", "hostname", "remote_addr", "remote_port", "server_addr", "server_port", "server_name", "server_protocol", "scheme",
        "https", "request_uri", "uri", "document_uri", "args", "query_string", "is_args", "request_method", "request",
        "proxy_add_x_forwarded_for", "proxy_host", "proxy_port", "content_type", "content_length", "time_local", "time_iso8601",
        "msec", "request_time", "status", "upstream_addr", "upstream_status", "upstream_connect_time", "upstream_header_time",
        "upstream_response_time", "body_bytes_sent", "bytes_sent", "request_id", "connection", "nginx_version", "pid", "remote_user",
    };

    /// <summary>Prefixed families: $http_NAME, $arg_NAME, $cookie_NAME, $sent_http_NAME, $upstream_http_NAME.</summary>
    public static bool IsKnown(string name, IReadOnlySet<string> setVariables) =>
        Known.Contains(name) || NginxSslVariables.Names.Contains(name) || setVariables.Contains(name) || (name.Length == 1 && char.IsAsciiDigit(name[0]))
        || name.StartsWith("http_", StringComparison.Ordinal) || name.StartsWith("arg_", StringComparison.Ordinal)
        || name.StartsWith("cookie_", StringComparison.Ordinal) || IsResponseHeader(name);

    /// <summary>$sent_http_NAME and $upstream_http_NAME: a response header's value, one char a byte as it came.</summary>
    public static bool IsResponseHeader(string name) =>
        name.StartsWith("sent_http_", StringComparison.Ordinal) || name.StartsWith("upstream_http_", StringComparison.Ordinal);

    public static string Get(string name, NginxRequestState state)
    {
        var context = state.Context;
        var request = context.Request;
        if (state.Set.TryGetValue(name, out var set))
        {
            return set;
        }

        switch (name)
        {
            case "host":
                return state.Host.Length > 0 ? state.Host : state.Server?.FirstName ?? "";
            case "hostname":
                return Environment.MachineName;
            case "remote_addr":
                return Ip(context.Connection.RemoteIpAddress);
            case "remote_port":
                return context.Connection.RemotePort.ToString(CultureInfo.InvariantCulture);
            case "server_addr":
                return Ip(context.Connection.LocalIpAddress);
            case "server_port":
                return context.Connection.LocalPort.ToString(CultureInfo.InvariantCulture);
            case "server_name":
                return state.Server?.FirstName ?? "";
            case "server_protocol":
                return request.Protocol;
            case "scheme":
                return request.Scheme;
            case "https":
                return request.IsHttps ? "on" : "";
            case "request_uri":
                return RawTarget(context);
            case "uri" or "document_uri":
                return state.Uri;
            case "args" or "query_string":
                return state.Args;
            case "is_args":
                return state.Args.Length > 0 ? "?" : "";
            case "request_method":
                return request.Method;
            case "request":
                return $"{request.Method} {RawTarget(context)} {request.Protocol}";
            case "proxy_add_x_forwarded_for":
                var forwarded = request.Headers["X-Forwarded-For"].ToString();
                var remote = Ip(context.Connection.RemoteIpAddress);
                return forwarded.Length > 0 ? forwarded + ", " + remote : remote;
            case "proxy_host":
                return state.Location?.Proxy?.ProxyHost ?? "";
            case "proxy_port":
                return state.Location?.Proxy?.ProxyPort ?? "";
            case "content_type":
                return request.ContentType ?? "";
            case "content_length":
                return request.ContentLength?.ToString(CultureInfo.InvariantCulture) ?? "";
            case "time_local":
                return DateTimeOffset.Now.ToString("dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture).Remove(24, 1);
            case "time_iso8601":
                return DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
            case "msec":
                return (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
            case "request_time":
                return state.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);
            case "status":
                return context.Response.StatusCode.ToString(CultureInfo.InvariantCulture);
            case "upstream_addr":
                return state.UpstreamAddr;
            case "upstream_status":
                return state.UpstreamStatus;
            case "upstream_connect_time" or "upstream_header_time" or "upstream_response_time":
                return state.UpstreamTime;
            case "body_bytes_sent" or "bytes_sent":
                return state.BodyBytesSent.ToString(CultureInfo.InvariantCulture);
            case "remote_user":
                return "";
            case "request_id":
                return context.TraceIdentifier;
            case "connection":
                return context.Connection.Id;
            case "nginx_version":
                return NginxVersion.Follows;
            case "pid":
                return Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            case "ssl_protocol" or "ssl_cipher" or "ssl_server_name" or "ssl_alpn_protocol" or "ssl_client_verify":
                return NginxSslVariables.Get(name, context);
        }

        if (name.Length == 1 && char.IsAsciiDigit(name[0]))
        {
            var index = name[0] - '0';
            return state.Captures is { } captures && index < captures.Count && captures[index].Success ? captures[index].Value : "";
        }

        if (name.StartsWith("http_", StringComparison.Ordinal))
        {
            return Header(request.Headers, name[5..]);
        }

        if (name.StartsWith("sent_http_", StringComparison.Ordinal))
        {
            return Header(context.Response.Headers, name[10..]);
        }

        if (name.StartsWith("upstream_http_", StringComparison.Ordinal))
        {
            return Header(context.Response.Headers, name[14..]);
        }

        if (name.StartsWith("cookie_", StringComparison.Ordinal))
        {
            return request.Cookies[name[7..]] ?? "";
        }

        return name.StartsWith("arg_", StringComparison.Ordinal) ? Arg(state.Args, name[4..]) : "";
    }

    /// <summary>The request line's target exactly as the client sent it (nginx $request_uri).</summary>
    public static string RawTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : context.Request.Path + context.Request.QueryString;

    private static string Header(IHeaderDictionary headers, string name)
    {
        var values = headers[name.Replace('_', '-')];
        return values.Count switch
        {
            0 => "",
            1 => values[0] ?? "",
            _ => string.Join(name.Equals("cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ", values.ToArray()),
        };
    }

    /// <summary>nginx $arg_NAME: the raw (not decoded) value of the first argument of that name, compared case-insensitively.</summary>
    private static string Arg(string args, string name)
    {
        foreach (var pair in args.Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? pair : pair[..eq];
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return eq < 0 ? "" : pair[(eq + 1)..];
            }
        }

        return "";
    }

    private static string Ip(System.Net.IPAddress? address) =>
        address is null ? "" : address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();
}
