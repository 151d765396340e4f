using System.Buffers;
using System.Net;
using System.Text;

namespace Gateway.Upstream;

/// <summary>
/// Parses one HTTP/1.x response head in place (status line, then header lines; CRLF or bare LF; obs-fold joined with
/// spaces) into an HttpResponseMessage, with SocketsHttpHandler's errors for what it rejects. Known names and values
/// equal to the connection's last ones cost no allocation.
/// </summary>
internal static class ResponseHeadParser
{
    /// <summary>RFC 9110's tchar: what a header name may be made of.</summary>
    private static readonly SearchValues<byte> s_tokenBytes =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>What the framing headers said.</summary>
    internal struct Framing
    {
        public int StatusCode;
        public bool Http10;
        public long ContentLength; // -1 none, -2 unusable (bad or repeated)
        public bool Chunked;
        public bool TransferEncoding;
        public bool Close;
        public bool KeepAlive;
    }

    /// <summary>The end of the head (just past the empty line) within <paramref name="data"/>, or -1 when not all of it is there.</summary>
    public static int FindEnd(ReadOnlySpan<byte> data)
    {
        var from = 0;
        while (true)
        {
            var lf = data[from..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                return -1;
            }

            var i = from + lf + 1;
            if (i < data.Length && data[i] == '\n')
            {
                return i + 1;
            }

            if (i + 1 < data.Length && data[i] == '\r' && data[i + 1] == '\n')
            {
                return i + 2;
            }

            if (i + 1 >= data.Length)
            {
                return -1;
            }

            from = i;
        }
    }

    /// <summary>Only the status code: a 1xx head is skipped without building anything.</summary>
    public static int StatusCode(ReadOnlySpan<byte> head, out bool http10)
    {
        var line = Line(head, out _);
        // "HTTP/1.x SP ddd [SP reason]"
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || !char.IsAsciiDigit((char)line[7]) || line[8] != ' '
            || (line.Length > 12 && line[12] != ' '))
        {
            throw Invalid($"Received an invalid status line: '{Encoding.Latin1.GetString(line)}'.");
        }

        http10 = line[7] == '0';
        var code = line.Slice(9, 3);
        if (!char.IsAsciiDigit((char)code[0]) || !char.IsAsciiDigit((char)code[1]) || !char.IsAsciiDigit((char)code[2]))
        {
            throw Invalid($"Received an invalid status code: '{Encoding.Latin1.GetString(code)}'.");
        }

        return ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
    }

    /// <summary>Where a parsed head goes: an HttpResponseMessage (the lean client) or Kestrel's response (the lean forwarder).</summary>
    internal interface ISink
    {
        void Status(int code, bool http10, string reason);

        /// <summary>A header whose name is one of <see cref="KnownHeaders"/>.</summary>
        void Known(int known, string value);

        /// <summary>Any other header, its name as received.</summary>
        void Other(string name, string value);
    }

    /// <summary>The lean client's sink: headers where SocketsHttpHandler puts them (the response's or its content's).</summary>
    private readonly struct MessageSink(HttpResponseMessage response, HttpContent content) : ISink
    {
        public void Status(int code, bool http10, string reason)
        {
            response.StatusCode = (HttpStatusCode)code;
            response.Version = http10 ? HttpVersion.Version10 : HttpVersion.Version11;
            response.ReasonPhrase = reason;
        }

        public void Known(int known, string value)
        {
            var headers = KnownHeaders.IsContent(known) ? (System.Net.Http.Headers.HttpHeaders)content.Headers : response.Headers;
            headers.TryAddWithoutValidation(KnownHeaders.Name(known), value);
        }

        public void Other(string name, string value)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    public static Framing Parse(ReadOnlySpan<byte> head, HttpResponseMessage response, HttpContent content, HeaderValueCache cache)
    {
        var sink = new MessageSink(response, content);
        return Parse(head, ref sink, cache);
    }

    public static Framing Parse<TSink>(ReadOnlySpan<byte> head, ref TSink sink, HeaderValueCache cache)
        where TSink : struct, ISink
    {
        var framing = new Framing { StatusCode = StatusCode(head, out var http10), Http10 = http10, ContentLength = -1 };
        var statusLine = Line(head, out var next);
        var reason = statusLine.Length > 13 ? statusLine[13..] : [];
        if (reason.IndexOfAny((byte)'\r', (byte)0) >= 0)
        {
            // HttpResponseMessage refuses such a reason with FormatException; the client's contract is InvalidResponse (found by fuzzing).
            throw Invalid($"Received an invalid status line: '{Encoding.Latin1.GetString(statusLine)}'.");
        }

        sink.Status(framing.StatusCode, http10, reason.IsEmpty ? "" : cache.Reason(reason));

        var rest = head[next..];
        while (true)
        {
            var line = Line(rest, out next);
            if (line.IsEmpty)
            {
                return framing;
            }

            // obs-fold: following lines that start with a space or tab continue this value.
            var end = next;
            while (end < rest.Length && (rest[end] == ' ' || rest[end] == '\t'))
            {
                Line(rest[end..], out var more);
                end += more;
            }

            var folded = end != next;
            var full = folded ? TrimLineEnd(rest[..end]) : line;
            AddHeader(full, folded, ref sink, cache, ref framing);
            rest = rest[end..];
        }
    }

    private static void AddHeader<TSink>(ReadOnlySpan<byte> line, bool folded, ref TSink sink, HeaderValueCache cache, ref Framing framing)
        where TSink : struct, ISink
    {
        var colon = line.IndexOf((byte)':');
        if (colon < 0)
        {
            throw Invalid($"Received an invalid header line: '{Encoding.Latin1.GetString(line)}'.");
        }

        var name = line[..colon];
        if (name.IsEmpty || !IsToken(name))
        {
            throw Invalid($"Received an invalid header name: '{Encoding.Latin1.GetString(name)}'.");
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        var known = KnownHeaders.Find(name);
        var slot = known >= 0 ? -1 : cache.OtherSlot(name);
        string valueText;
        if (folded || value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            // Rare: line breaks of a fold (and NULs) become spaces, as SocketsHttpHandler does.
            var chars = Encoding.Latin1.GetString(value).ToCharArray();
            for (var i = 0; i < chars.Length; i++)
            {
                if (chars[i] is '\r' or '\n' or '\0')
                {
                    chars[i] = ' ';
                }
            }

            valueText = new string(chars);
        }
        else if (known >= 0)
        {
            valueText = cache.Value(known, value);
        }
        else
        {
            valueText = slot >= 0 ? cache.OtherValue(slot, value) : Encoding.Latin1.GetString(value);
        }

        if (known >= 0)
        {
            Frame(known, value, ref framing);
            sink.Known(known, valueText);
            return;
        }

        sink.Other(slot >= 0 ? cache.OtherName(slot) : Encoding.Latin1.GetString(name), valueText);
    }

    private static void Frame(int known, ReadOnlySpan<byte> value, ref Framing framing)
    {
        switch (known)
        {
            case KnownHeaders.ContentLength:
                framing.ContentLength = framing.ContentLength == -1 && System.Buffers.Text.Utf8Parser.TryParse(value, out long length, out var used)
                    && used == value.Length && length >= 0 ? length : -2;
                break;
            case KnownHeaders.TransferEncoding:
                framing.TransferEncoding = true;
                framing.Chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8)
                    && (value.Length == 7 || value[^8] is (byte)',' or (byte)' ' or (byte)'\t');
                break;
            case KnownHeaders.Connection when Ascii.EqualsIgnoreCase(value, "keep-alive"u8):
                framing.KeepAlive = true; // the usual value, without the token search
                break;
            case KnownHeaders.Connection:
                framing.Close |= Contains(value, "close"u8);
                framing.KeepAlive |= Contains(value, "keep-alive"u8);
                break;
        }
    }

    private static bool Contains(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        for (var i = 0; i + token.Length <= value.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(value.Slice(i, token.Length), token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first line without its CRLF/LF, and where the next one starts.</summary>
    private static ReadOnlySpan<byte> Line(ReadOnlySpan<byte> data, out int next)
    {
        var lf = data.IndexOf((byte)'\n');
        if (lf < 0)
        {
            next = data.Length;
            return data;
        }

        next = lf + 1;
        return lf > 0 && data[lf - 1] == '\r' ? data[..(lf - 1)] : data[..lf];
    }

    private static ReadOnlySpan<byte> TrimLineEnd(ReadOnlySpan<byte> data) =>
        data.EndsWith("\r\n"u8) ? data[..^2] : data.EndsWith("\n"u8) ? data[..^1] : data;

    private static bool IsToken(ReadOnlySpan<byte> name) => !name.ContainsAnyExcept(s_tokenBytes);

    internal static HttpRequestException Invalid(string message) => new(HttpRequestError.InvalidResponse, message);
}
