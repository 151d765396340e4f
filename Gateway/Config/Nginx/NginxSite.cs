namespace Gateway.Config.Nginx;

/// <summary>
/// The request-side meaning of an nginx.conf that YARP's route table cannot hold: servers chosen by listen socket
/// and Host, nginx's location selection, return/add_header/if/set, and which YARP route each proxying location uses.
/// It travels in <see cref="LbProxyOptions.Nginx"/>, so it is applied and reloaded with the rest of the config.
/// </summary>
public sealed class NginxSite
{
    public required IReadOnlyList<NginxServer> Servers { get; init; }

    /// <summary>Every listen socket, as Kestrel URLs (what the gateway binds).</summary>
    public required IReadOnlyList<string> ListenUrls { get; init; }

    /// <summary>Main-context <c>pid</c> (absolute), or null.</summary>
    public string? PidFile { get; init; }

    /// <summary>Main-context <c>error_log</c> file (absolute), or null for stderr.</summary>
    public string? ErrorLog { get; init; }

    /// <summary>Main-context <c>error_log</c> level (nginx's default: error).</summary>
    public string ErrorLogLevel { get; init; } = "error";

    /// <summary>MIME types by lower-case extension (http-level <c>types</c>, or nginx's built-in html, gif, jpg).</summary>
    public IReadOnlyDictionary<string, string> Types { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether any level has an access_log (then response bytes are counted).</summary>
    public bool HasAccessLogs { get; init; }

    /// <summary>Upstream key expressions of <c>hash KEY</c> clusters, by cluster id.</summary>
    public IReadOnlyDictionary<string, NginxTemplate> HashKeys { get; init; } = new Dictionary<string, NginxTemplate>();
}
