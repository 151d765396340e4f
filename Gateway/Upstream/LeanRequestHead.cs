using Gateway.Hardening;
using Microsoft.AspNetCore.Http;

namespace Gateway.Upstream;

/// <summary>The lean forwarder's request head, written from Kestrel's request into a lean connection's buffer.</summary>
internal static class LeanRequestHead
{
    /// <summary>
    /// The request head YARP's forwarder and default transforms would have the lean client send; false (nothing counted)
    /// when a header is one YARP gives the message a content for, or a value is not plain ASCII.
    /// </summary>
    public static bool TryWrite(LeanConnection connection, HttpContext context, LeanConnectionPool pool, ReadOnlySpan<char> basePath)
    {
        var request = context.Request;
        connection.ResetWrite();
        if (!RequestHead.TryWriteAscii(connection, Method(request.Method)) || !RequestHead.TryWriteAscii(connection, " ")
            || !RequestHead.TryWriteAscii(connection, basePath) || !RequestHead.TryWriteAscii(connection, request.Path.Value)
            || !RequestHead.TryWriteAscii(connection, request.QueryString.Value))
        {
            return false;
        }

        RequestHead.WriteBytes(connection, " HTTP/1.1\r\n"u8);
        RequestHead.WriteBytes(connection, pool.HostLine);
        foreach (var (name, values) in request.Headers)
        {
            if (values.Count == 0)
            {
                continue;
            }

            if (YarpHeaderRules.NotCopied.TryGetValue(name, out var content))
            {
                if (content)
                {
                    return false;
                }

                continue;
            }

            if (!RequestHead.TryWriteHeader(connection, name, values))
            {
                return false;
            }
        }

        // ForwardedForTransformProvider's X-Forwarded-* (Set): the prefix, host and scheme this hop saw, then the client chain.
        if (request.PathBase.HasValue && !WriteHeader(connection, "X-Forwarded-Prefix", request.PathBase.ToUriComponent()))
        {
            return false;
        }

        if (request.Host.HasValue && !WriteHeader(connection, "X-Forwarded-Host", request.Host.ToUriComponent()))
        {
            return false;
        }

        if (!WriteHeader(connection, "X-Forwarded-Proto", request.Scheme)
            || (ForwardedForTransformProvider.Value(context) is { } forwardedFor && !WriteHeader(connection, ForwardedForTransformProvider.HeaderName, forwardedFor)))
        {
            return false;
        }

        if (RequestHead.MustHaveBody(request.Method))
        {
            RequestHead.WriteBytes(connection, "Content-Length: 0\r\n"u8);
        }

        RequestHead.WriteBytes(connection, "\r\n"u8);
        return true;

        static bool WriteHeader(LeanConnection connection, string name, string value) => RequestHead.TryWriteHeader(connection, name, value);
    }

    /// <summary>The method as YARP's HttpMethod for it says it: the known ones in capitals, any other as the client sent it.</summary>
    public static string Method(string method) =>
        HttpMethods.IsGet(method) ? "GET" : HttpMethods.IsHead(method) ? "HEAD" : HttpMethods.IsPost(method) ? "POST"
        : HttpMethods.IsPut(method) ? "PUT" : HttpMethods.IsDelete(method) ? "DELETE" : HttpMethods.IsOptions(method) ? "OPTIONS"
        : HttpMethods.IsPatch(method) ? "PATCH" : HttpMethods.IsTrace(method) ? "TRACE" : method;
}
