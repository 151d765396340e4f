using System.Text.RegularExpressions;

namespace Gateway.Config.Nginx;

/// <summary>
/// One compiled <c>location</c> (or a server's own level when nothing matches), with the settings nginx inherits
/// into it already merged: headers, return, proxy target.
/// </summary>
public sealed class NginxLocation
{
    public required string Name { get; init; }

    public required NginxLocationKind Kind { get; init; }

    public Regex? Regex { get; init; }

    public IReadOnlyList<NginxLocation> Children { get; init; } = [];

    public NginxProxyTarget? Proxy { get; init; }

    public NginxReturn? Return { get; init; }

    public IReadOnlyList<NginxHeader> ProxySetHeaders { get; init; } = [];

    public IReadOnlyList<NginxHeader> AddHeaders { get; init; } = [];

    /// <summary>nginx <c>if (...) { return ...; }</c> and <c>set</c>, in order (the rewrite phase).</summary>
    public IReadOnlyList<NginxRewriteStep> Rewrites { get; init; } = [];

    public string DefaultType { get; init; } = "text/plain";

    public IReadOnlyList<NginxErrorPage> ErrorPages { get; init; } = [];

    /// <summary>root (absolute, no trailing slash) for static files.</summary>
    public string Root { get; init; } = "";

    public IReadOnlyList<string> Index { get; init; } = ["index.html"];

    public bool InterceptErrors { get; init; }

    /// <summary>The error_page for <paramref name="status"/>, or null.</summary>
    public NginxErrorPage? ErrorPageFor(int status)
    {
        foreach (var page in ErrorPages)
        {
            if (page.Codes.Contains(status))
            {
                return page;
            }
        }

        return null;
    }

    /// <summary>Where this level's requests are logged (access_log, inherited when the level has none); empty = off.</summary>
    public IReadOnlyList<NginxAccessLog> AccessLogs { get; init; } = [];

    /// <summary>limit_req / limit_conn in force here (nginx's preaccess phase, after rewrite and return).</summary>
    public IReadOnlyList<NginxLimitCheck> Limits { get; init; } = [];

    public string Where { get; init; } = "";

    public override string ToString() => Kind switch
    {
        NginxLocationKind.Exact => "= " + Name,
        NginxLocationKind.PrefixNoRegex => "^~ " + Name,
        NginxLocationKind.Regex => "~ " + Name,
        NginxLocationKind.RegexCaseless => "~* " + Name,
        _ => Name,
    };
}
