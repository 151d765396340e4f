using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// The proxy settings in force at one level (http, server, location), merged the way nginx merges them: a value set
/// here wins, otherwise the outer level's; array directives (proxy_set_header, add_header) are inherited only when
/// this level has none of its own.
/// </summary>
public sealed record NginxScope
{
    public IReadOnlyList<string> NextUpstream { get; init; } = ["error", "timeout"];

    public int Tries { get; init; }

    public double NextUpstreamTimeoutSeconds { get; init; }

    public double ReadTimeoutSeconds { get; init; } = 60;

    public double ConnectTimeoutSeconds { get; init; } = 60;

    public string HttpVersion { get; init; } = "1.0";

    public IReadOnlyList<NginxHeader> ProxySetHeaders { get; init; } = [];

    public IReadOnlyList<NginxHeader> AddHeaders { get; init; } = [];

    public string DefaultType { get; init; } = "text/plain";

    /// <summary>error_page directives in force (a level with its own replaces the outer level's, as nginx merges them).</summary>
    public IReadOnlyList<NginxErrorPage> ErrorPages { get; init; } = [];

    /// <summary>root: where static files are (absolute; nginx's default is "html" in the prefix).</summary>
    public string? Root { get; init; }

    /// <summary>index files tried for a URI ending in '/'.</summary>
    public IReadOnlyList<string> Index { get; init; } = ["index.html"];

    /// <summary>proxy_intercept_errors: an upstream answer >= 300 with an error_page goes to that page instead.</summary>
    public bool InterceptErrors { get; init; }

    /// <summary>log_format definitions (http level), by name; "combined" is built in.</summary>
    public IReadOnlyDictionary<string, NginxTemplate> LogFormats { get; init; } = new Dictionary<string, NginxTemplate>(StringComparer.Ordinal);

    public IReadOnlyList<NginxAccessLog> AccessLogs { get; init; } = [];

    /// <summary>The prefix relative access_log paths are taken from.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>limit_req / limit_conn and their settings in force.</summary>
    public NginxLimits Limits { get; init; } = NginxLimits.None;

    /// <summary>proxy_ssl_* in force (used by a proxy_pass https://).</summary>
    public NginxProxySsl ProxySsl { get; init; } = NginxProxySsl.Default;

    /// <summary>The settings that decide a cluster's retry and timeout behaviour, as one comparable string.</summary>
    public string ClusterKey => string.Join('|', string.Join(',', NextUpstream), Tries, NextUpstreamTimeoutSeconds, ReadTimeoutSeconds,
        ConnectTimeoutSeconds, HttpVersion, ProxySsl.Key);

    public NginxScope With(IReadOnlyList<NginxDirective> block)
    {
        var scope = this;
        var setHeaders = new List<NginxHeader>();
        var addHeaders = new List<NginxHeader>();
        var formats = new Dictionary<string, NginxTemplate>(LogFormats, StringComparer.Ordinal);
        var accessLogs = new List<NginxAccessLog>();
        var errorPages = new List<NginxErrorPage>();
        var logsOff = false;
        foreach (var d in block)
        {
            switch (d.Name)
            {
                case "proxy_next_upstream":
                    scope = scope with { NextUpstream = NextUpstreamConditions(d) };
                    break;
                case "proxy_next_upstream_tries":
                    scope = scope with { Tries = Number(d) };
                    break;
                case "proxy_next_upstream_timeout":
                    scope = scope with { NextUpstreamTimeoutSeconds = Seconds(d) };
                    break;
                case "proxy_read_timeout":
                    scope = scope with { ReadTimeoutSeconds = Seconds(d) };
                    break;
                case "proxy_connect_timeout":
                    scope = scope with { ConnectTimeoutSeconds = Seconds(d) };
                    break;
                case "proxy_send_timeout" or "send_timeout":
                    _ = Seconds(d); // checked; the gateway's per-try timeout covers sending too
                    break;
                case "proxy_http_version":
                    scope = scope with
                    {
                        HttpVersion = d.Args[0] is "1.0" or "1.1" ? d.Args[0]
                            : throw NginxConfigException.At(d, $"invalid value \"{d.Args[0]}\" in \"proxy_http_version\" directive, it must be \"1.0\" or \"1.1\""),
                    };
                    break;
                case "log_format":
                    var escapeArgs = d.Args.Skip(1).SkipWhile(a => a.StartsWith("escape=", StringComparison.Ordinal));
                    formats[d.Args[0]] = NginxTemplate.Parse(string.Concat(escapeArgs), d);
                    break;
                case "access_log":
                    if (d.Args[0] == "off")
                    {
                        logsOff = true;
                        break;
                    }

                    var formatName = d.Args.Count > 1 ? d.Args[1] : "combined";
                    var format = formatName == "combined" && !formats.ContainsKey("combined") ? NginxTemplate.Parse(NginxAccessLog.Combined, d)
                        : formats.GetValueOrDefault(formatName) ?? throw NginxConfigException.At(d, $"unknown log format \"{formatName}\"");
                    accessLogs.Add(new NginxAccessLog(NginxPath.Full(d, d.Args[0], Prefix), format));
                    break;
                case "root":
                    if (d.Args[0].Contains('$', StringComparison.Ordinal))
                    {
                        throw NginxConfigException.At(d, "variables in \"root\" are not supported by lbproxy-nginx");
                    }

                    scope = scope with { Root = NginxPath.Full(d, d.Args[0], Prefix).TrimEnd('/') };
                    break;
                case "index":
                    if (d.Args.Any(a => a.Contains('$', StringComparison.Ordinal)))
                    {
                        throw NginxConfigException.At(d, "variables in \"index\" are not supported by lbproxy-nginx");
                    }

                    scope = scope with { Index = [.. d.Args] };
                    break;
                case "error_page":
                    errorPages.Add(NginxErrorPage.Read(d));
                    break;
                case "proxy_intercept_errors":
                    scope = scope with
                    {
                        InterceptErrors = d.Args[0] switch
                        {
                            "on" => true,
                            "off" => false,
                            _ => throw NginxConfigException.At(d, $"invalid value \"{d.Args[0]}\" in \"proxy_intercept_errors\" directive, it must be \"on\" or \"off\""),
                        },
                    };
                    break;
                case "default_type":
                    scope = scope with { DefaultType = d.Args[0] };
                    break;
                case "proxy_set_header":
                    setHeaders.Add(new NginxHeader(d.Args[0], NginxTemplate.Parse(d.Args[1], d)));
                    break;
                case "add_header":
                    if (d.Args.Count == 3 && d.Args[2] != "always")
                    {
                        throw NginxConfigException.At(d, $"invalid parameter \"{d.Args[2]}\"");
                    }

                    addHeaders.Add(new NginxHeader(d.Args[0], NginxTemplate.Parse(d.Args[1], d), d.Args.Count == 3));
                    break;
            }
        }

        return scope with
        {
            LogFormats = formats,
            AccessLogs = logsOff ? [] : accessLogs.Count > 0 ? accessLogs : scope.AccessLogs,
            ProxySetHeaders = setHeaders.Count > 0 ? setHeaders : scope.ProxySetHeaders,
            AddHeaders = addHeaders.Count > 0 ? addHeaders : scope.AddHeaders,
            ErrorPages = errorPages.Count > 0 ? errorPages : scope.ErrorPages,
            ProxySsl = scope.ProxySsl.With(block),
            Limits = scope.Limits.With(block),
        };
    }

    private static readonly HashSet<string> s_conditions = ["error", "timeout", "invalid_header", "http_500", "http_502", "http_503",
        "http_504", "http_403", "http_404", "http_429", "non_idempotent", "off"];

    private static List<string> NextUpstreamConditions(NginxDirective d)
    {
        foreach (var arg in d.Args)
        {
            if (!s_conditions.Contains(arg))
            {
                throw NginxConfigException.At(d, $"invalid value \"{arg}\"");
            }
        }

        return d.Args.Contains("off") ? ["off"] : [.. d.Args];
    }

    private static int Number(NginxDirective d) =>
        int.TryParse(d.Args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : throw NginxConfigException.At(d, $"\"{d.Name}\" directive invalid value");

    private static double Seconds(NginxDirective d) =>
        NginxTime.TrySeconds(d.Args[0], out var s) ? s : throw NginxConfigException.At(d, $"\"{d.Name}\" directive invalid value");
}
