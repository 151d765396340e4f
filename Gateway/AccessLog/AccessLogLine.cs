using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Gateway.AccessLog;

/// <summary>Formats one finished request as a line of either format.</summary>
internal static class AccessLogLine
{
    /// <summary>The request's own X-Request-Id when it sent one, else the server's id for it (Kestrel: connection id + request number).</summary>
    public const string RequestIdHeader = "X-Request-Id";

    public static string Format(AccessLogFormat format, HttpContext context, AccessLogRecord record, long bytes, DateTimeOffset now,
        double requestSeconds, RouteModel? route) => format switch
    {
        AccessLogFormat.Json => Json(context, record, bytes, now, requestSeconds, route),
        _ => Combined(context, bytes, now),
    };

    /// <summary>nginx's <c>combined</c>: <c>$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"</c>.</summary>
    public static string Combined(HttpContext context, long bytes, DateTimeOffset now)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.PathBase + request.Path + request.QueryString).ToString();
        var sb = new StringBuilder(160);
        sb.Append(Escape(context.Connection.RemoteIpAddress?.ToString() ?? ""))
            .Append(" - - [")
            .Append(now.ToString("dd/MMM/yyyy:HH:mm:ss ", CultureInfo.InvariantCulture))
            .Append(now.Offset < TimeSpan.Zero ? '-' : '+')
            .Append(now.Offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture))
            .Append("] \"")
            .Append(Escape($"{request.Method} {target} {request.Protocol}"))
            .Append("\" ")
            .Append(context.Response.StatusCode.ToString(CultureInfo.InvariantCulture))
            .Append(' ')
            .Append(bytes.ToString(CultureInfo.InvariantCulture))
            .Append(" \"")
            .Append(Escape(request.Headers.Referer.ToString()))
            .Append("\" \"")
            .Append(Escape(request.Headers.UserAgent.ToString()))
            .Append('"');
        return sb.ToString();
    }

    public static string Json(HttpContext context, AccessLogRecord record, long bytes, DateTimeOffset now, double requestSeconds, RouteModel? route)
    {
        var request = context.Request;
        var buffer = new ArrayBufferWriter<byte>(384);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("client", context.Connection.RemoteIpAddress?.ToString());
            json.WriteString("method", request.Method);
            json.WriteString("path", (request.PathBase + request.Path).ToString());
            json.WriteString("query", request.QueryString.HasValue ? request.QueryString.Value![1..] : null);
            json.WriteString("protocol", request.Protocol);
            json.WriteString("host", request.Host.Value);
            json.WriteNumber("status", context.Response.StatusCode);
            json.WriteNumber("bytes", bytes);
            json.WriteNumber("request_time", Math.Round(requestSeconds, 6));
            json.WriteString("route", route?.Config.RouteId);
            json.WriteString("cluster", route?.Cluster?.ClusterId);
            json.WriteString("policy", route?.Cluster is { } cluster
                ? cluster.Model.Config.LoadBalancingPolicy ?? LoadBalancing.LoadBalancingPolicyNames.RoundRobin : null);
            json.WriteNumber("tries", record.Tries);
            json.WriteString("upstream_addr", record.UpstreamAddress);
            if (record.Tries > 0 && record.UpstreamStatus > 0)
            {
                json.WriteNumber("upstream_status", record.UpstreamStatus);
            }
            else
            {
                json.WriteNull("upstream_status");
            }

            if (record.Tries > 0)
            {
                json.WriteNumber("upstream_time", Math.Round(record.UpstreamSeconds, 6));
            }
            else
            {
                json.WriteNull("upstream_time");
            }

            json.WriteString("request_id", RequestId(context));
            json.WriteString("user_agent", request.Headers.UserAgent.ToString());
            json.WriteString("referer", request.Headers.Referer.ToString());
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string RequestId(HttpContext context) =>
        context.Request.Headers.TryGetValue(RequestIdHeader, out var id) && id.Count > 0 && !string.IsNullOrEmpty(id[0]) ? id[0]! : context.TraceIdentifier;

    /// <summary>
    /// nginx's escaping of variable values in a log line (ngx_http_log_escape): an empty value is "-"; '"', '\' and
    /// bytes outside printable ASCII are written as \xHH.
    /// </summary>
    public static string Escape(string value)
    {
        if (value.Length == 0)
        {
            return "-";
        }

        var clean = true;
        foreach (var c in value)
        {
            if (c < 0x20 || c >= 0x7f || c is '"' or '\\')
            {
                clean = false;
                break;
            }
        }

        if (clean)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b < 0x20 || b >= 0x7f || b is (byte)'"' or (byte)'\\')
            {
                sb.Append("\\x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.ToString();
    }
}
