using System.Text;

namespace Gateway.Upstream;

/// <summary>
/// Response header names seen on most responses, so parsing a head allocates no string for a known name. The index is
/// also the slot of the connection's last-value cache (<see cref="HeaderValueCache"/>).
/// </summary>
internal static class KnownHeaders
{
    public const int ContentLength = 0;
    public const int TransferEncoding = 1;
    public const int Connection = 2;
    public const int KeepAlive = 3;
    public const int QueueDepth = 7; // X-Queue-Depth

    private static readonly (string Name, bool IsContent)[] s_headers =
    [
        ("Content-Length", true), ("Transfer-Encoding", false), ("Connection", false), ("Keep-Alive", false),
        ("Content-Type", true), ("Date", false), ("Server", false), ("X-Queue-Depth", false), ("Cache-Control", false),
        ("Content-Encoding", true), ("Content-Language", true), ("Content-Location", true), ("Content-Range", true),
        ("Content-Disposition", true), ("Content-MD5", true), ("Expires", true), ("Last-Modified", true), ("Allow", true),
        ("ETag", false), ("Location", false), ("Vary", false), ("Set-Cookie", false), ("Accept-Ranges", false), ("Age", false),
        ("Pragma", false), ("Trailer", false), ("Via", false), ("Retry-After", false), ("WWW-Authenticate", false),
        ("Strict-Transport-Security", false), ("Alt-Svc", false), ("Access-Control-Allow-Origin", false), ("Upgrade", false),
        ("Proxy-Authenticate", false), ("X-Content-Type-Options", false), ("X-Frame-Options", false), ("Link", false),
        ("traceparent", false), ("Request-Id", false),
    ];

    public static int Count => s_headers.Length;

    public static string Name(int index) => s_headers[index].Name;

    public static bool IsContent(int index) => s_headers[index].IsContent;

    /// <summary>The index of a known name (ASCII, any case), or -1.</summary>
    public static int Find(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < s_headers.Length; i++)
        {
            var known = s_headers[i].Name;
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return i;
            }
        }

        return -1;
    }
}
