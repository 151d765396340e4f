using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Gateway.Upstream;

/// <summary>
/// Writes an HTTP/1.1 request head straight into the connection's write buffer, as SocketsHttpHandler would send it:
/// the Host header from the URI unless the request has one, multiple values joined, Content-Length or chunked framing
/// chosen from the content, Content-Length: 0 for a body-carrying method without content.
/// </summary>
internal static class RequestHead
{
    /// <summary>How the request body is framed on the wire.</summary>
    public readonly record struct Framing(bool Chunked, long ContentLength, bool CloseAfter);

    /// <summary>
    /// Writes the head; false when a header value is not plain ASCII or holds a line break, which SocketsHttpHandler
    /// handles (encodes or rejects) and this writer leaves to it.
    /// </summary>
    public static bool TryWrite(LeanConnection connection, HttpRequestMessage request, ReadOnlySpan<char> pathAndQuery, LeanConnectionPool pool,
        out Framing framing)
    {
        framing = default;
        connection.ResetWrite();
        var method = request.Method.Method;
        if (!WriteAscii(connection, method) || !WriteAscii(connection, " ") || !WriteAscii(connection, pathAndQuery))
        {
            return false;
        }

        Write(connection, " HTTP/1.1\r\n"u8);
        var closeAfter = false;
        if (request.Headers.NonValidated.TryGetValues("Host", out var host))
        {
            if (!WriteHeader(connection, "Host", host, ", "))
            {
                return false;
            }
        }
        else
        {
            pool.HostLine.CopyTo(connection.GetWriteSpan(pool.HostLine.Length));
            connection.Advance(pool.HostLine.Length);
        }

        var chunkedAsked = false;
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            if (string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunkedAsked = true; // framing is the writer's: written below with the content
                continue;
            }

            if (string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase) && HasToken(values, "close"))
            {
                closeAfter = true;
            }

            if (!WriteHeader(connection, name, values, Separator(name)))
            {
                return false;
            }
        }

        long length = -1;
        if (request.Content is { } content)
        {
            foreach (var (name, values) in content.Headers.NonValidated)
            {
                if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    length = long.TryParse(values.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                        ? parsed : -1;
                    continue;
                }

                if (!WriteHeader(connection, name, values, ", "))
                {
                    return false;
                }
            }

            if (length < 0 && !chunkedAsked)
            {
                length = content.Headers.ContentLength ?? -1; // content that knows its own length (not YARP's streamed body)
            }

            if (length >= 0 && !chunkedAsked)
            {
                Write(connection, "Content-Length: "u8);
                WriteNumber(connection, length);
                Write(connection, "\r\n"u8);
            }
            else
            {
                Write(connection, "Transfer-Encoding: chunked\r\n"u8);
                length = -1;
            }
        }
        else if (MustHaveBody(request.Method))
        {
            Write(connection, "Content-Length: 0\r\n"u8);
        }

        Write(connection, "\r\n"u8);
        framing = new Framing(length < 0 && request.Content is not null, length, closeAfter);
        return true;
    }

    /// <summary>SocketsHttpHandler's rule: every method but these says Content-Length: 0 when it has no content.</summary>
    private static bool MustHaveBody(HttpMethod method) => MustHaveBody(method.Method);

    /// <summary><see cref="MustHaveBody(HttpMethod)"/> for a method as Kestrel has it (any case, as HttpMethod compares).</summary>
    public static bool MustHaveBody(string method) =>
        !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsConnect(method) && !HttpMethods.IsOptions(method)
        && !HttpMethods.IsDelete(method);

    /// <summary>
    /// One header of Kestrel's request, its values joined as this writer joins HttpHeaders' (the lean forwarder, which
    /// has no HttpRequestMessage); false when a value is not plain ASCII.
    /// </summary>
    public static bool TryWriteHeader(LeanConnection connection, string name, Microsoft.Extensions.Primitives.StringValues values)
    {
        if (!WriteAscii(connection, name) || !WriteAscii(connection, ": "))
        {
            return false;
        }

        var separator = Separator(name);
        for (var i = 0; i < values.Count; i++)
        {
            if ((i > 0 && !WriteAscii(connection, separator)) || !WriteAscii(connection, values[i]))
            {
                return false;
            }
        }

        Write(connection, "\r\n"u8);
        return true;
    }

    /// <summary>Plain ASCII text (false, nothing counted, for anything else or a line break).</summary>
    public static bool TryWriteAscii(LeanConnection connection, ReadOnlySpan<char> text) => WriteAscii(connection, text);

    public static void WriteBytes(LeanConnection connection, ReadOnlySpan<byte> bytes) => Write(connection, bytes);

    private static string Separator(string name) =>
        string.Equals(name, "User-Agent", StringComparison.OrdinalIgnoreCase) ? " "
        : string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase) ? "; "
        : ", ";

    private static bool HasToken(HeaderStringValues values, string token)
    {
        foreach (var value in values)
        {
            if (value.Contains(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool WriteHeader(LeanConnection connection, string name, HeaderStringValues values, string separator)
    {
        if (!WriteAscii(connection, name) || !WriteAscii(connection, ": "))
        {
            return false;
        }

        var first = true;
        foreach (var value in values)
        {
            if ((!first && !WriteAscii(connection, separator)) || !WriteAscii(connection, value))
            {
                return false;
            }

            first = false;
        }

        Write(connection, "\r\n"u8);
        return true;
    }

    private static bool WriteAscii(LeanConnection connection, ReadOnlySpan<char> text)
    {
        var span = connection.GetWriteSpan(text.Length);
        // Latin-1 narrowing of plain ASCII; anything else (or a CR/LF a transform let through) is SocketsHttpHandler's to judge.
        if (Ascii.FromUtf16(text, span, out var written) != System.Buffers.OperationStatus.Done || text.ContainsAny('\r', '\n'))
        {
            return false;
        }

        connection.Advance(written);
        return true;
    }

    private static void Write(LeanConnection connection, ReadOnlySpan<byte> literal)
    {
        literal.CopyTo(connection.GetWriteSpan(literal.Length));
        connection.Advance(literal.Length);
    }

    private static void WriteNumber(LeanConnection connection, long value)
    {
        var span = connection.GetWriteSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        connection.Advance(written);
    }
}
