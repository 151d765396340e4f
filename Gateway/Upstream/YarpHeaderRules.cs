using System.Collections.Frozen;
using Microsoft.Net.Http.Headers;

namespace Gateway.Upstream;

/// <summary>
/// YARP's header and path rules as its forwarder and default transforms apply them (RequestUtilities, HttpTransformer,
/// the X-Forwarded transforms), for the lean forwarder, which applies them without HttpRequestMessage.
/// </summary>
internal static class YarpHeaderRules
{
    // YARP's hop-by-hop list (RequestUtilities): never copied either way.
    public static readonly FrozenSet<string> HopByHop = new[]
    {
        HeaderNames.Connection, HeaderNames.TransferEncoding, HeaderNames.KeepAlive, HeaderNames.Upgrade, HeaderNames.ProxyConnection,
        HeaderNames.ProxyAuthenticate, "Proxy-Authentication-Info", HeaderNames.ProxyAuthorization, "Proxy-Features", "Proxy-Instruction",
        "Security-Scheme", "ALPN", "Close", "HTTP2-Settings", HeaderNames.UpgradeInsecureRequests, HeaderNames.TE, HeaderNames.AltSvc,
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // The request headers the default transforms set or remove (X-Forwarded-*, Forwarded, Host): the client's are not sent.
    public static readonly FrozenSet<string> Replaced = new[]
    {
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "Forwarded", HeaderNames.Host,
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // Content headers (HttpContent's, the ones KnownHeaders marks): on a bodiless request YARP gives the message an empty
    // content for them. Left to YARP.
    public static readonly FrozenSet<string> ContentHeaders = Enumerable.Range(0, KnownHeaders.Count).Where(KnownHeaders.IsContent)
        .Select(KnownHeaders.Name).ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // Each request header the head writer does not just copy, looked up once: dropped (hop-by-hop, or replaced by the
    // default transforms), or a content header (the request is left to YARP).
    public static readonly FrozenDictionary<string, bool> NotCopied = HopByHop.Concat(Replaced).Select(n => KeyValuePair.Create(n, false))
        .Concat(ContentHeaders.Select(n => KeyValuePair.Create(n, true))).ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // Which of the parser's known response headers are hop-by-hop, by index.
    public static readonly bool[] KnownHopByHop = [.. Enumerable.Range(0, KnownHeaders.Count).Select(i => HopByHop.Contains(KnownHeaders.Name(i)))];

    // The path characters YARP sends unescaped; a path with any other is YARP's to escape.
    public static readonly System.Buffers.SearchValues<char> PlainPath =
        System.Buffers.SearchValues.Create("!$&'()*+,-./0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~");
}
