using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Gateway.Config.Nginx;

/// <summary>
/// One request as the nginx front sees it (kept as an HttpContext feature): the chosen server and location, the
/// location regex's captures, <c>set</c> variables, and what the upstream side reported, for variables.
/// </summary>
public sealed class NginxRequestState(HttpContext context, string host, string uri, string args, long startTimestamp)
{
    public HttpContext Context { get; } = context;

    /// <summary>Host header without port, lower case (nginx $host before the server_name fallback).</summary>
    public string Host { get; } = host;

    /// <summary>Decoded, normalised path (nginx $uri).</summary>
    public string Uri { get; } = uri;

    /// <summary>Query string without '?' (nginx $args).</summary>
    public string Args { get; } = args;

    public long StartTimestamp { get; } = startTimestamp;

    public NginxServer? Server { get; set; }

    public NginxLocation? Location { get; set; }

    public GroupCollection? Captures { get; set; }

    public Dictionary<string, string> Set { get; } = new(StringComparer.Ordinal);

    public string UpstreamAddr { get; set; } = "";

    public string UpstreamStatus { get; set; } = "";

    public string UpstreamTime { get; set; } = "";

    /// <summary>Response body bytes written so far (nginx $body_bytes_sent).</summary>
    public long BodyBytesSent { get; set; }

    public TimeSpan Elapsed => TimeProvider.System.GetElapsedTime(StartTimestamp);
}
