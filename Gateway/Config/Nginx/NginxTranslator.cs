using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx.conf to the gateway's one config model. Upstreams become YARP clusters (policy, weights, passive marking,
/// retries); every location that proxies becomes a YARP route with its cluster; what YARP's route table cannot
/// express (listen sockets and server_name, nginx's location precedence, return, add_header, if/set, URI
/// replacement, proxy_set_header) is compiled into an <see cref="NginxSite"/> that the nginx front middleware runs.
/// Errors use nginx's wording and stop at the first, as nginx does.
/// </summary>
public static class NginxTranslator
{
    public const string LocationMetadataKey = "NginxLocation";

    // Each translation is a new configuration cycle (nginx's ngx_cycle_t): its upstreams' state starts afresh.
    private static long s_cycles;

    /// <summary>Reads, checks and translates <paramref name="path"/>; <paramref name="extraMain"/> is <c>-g</c>'s text.</summary>
    public static GatewayConfig TranslateFile(string path, string? prefix = null, string? extraMain = null, Func<string, bool>? resolves = null)
    {
        var full = Path.GetFullPath(path);
        var main = NginxParser.ParseFile(full).ToList();
        if (!string.IsNullOrWhiteSpace(extraMain))
        {
            main.AddRange(NginxParser.ParseText(extraMain, "command line", Path.GetDirectoryName(full)!));
        }

        return Translate(main, full, prefix ?? Path.GetDirectoryName(full)!, resolves ?? NginxUpstream.Resolves);
    }

    public static GatewayConfig Translate(IReadOnlyList<NginxDirective> main, string file, string prefix, Func<string, bool> resolves)
    {
        NginxDirectiveTable.Validate(main, NginxContext.Main);
        Single(main, "events");
        var http = Single(main, "http");
        var builder = new NginxClusterBuilder(Interlocked.Increment(ref s_cycles));
        var routes = new List<RouteConfig>();
        var servers = new List<NginxServer>();
        Context? context = null;
        if (http is not null)
        {
            var upstreams = new Dictionary<string, NginxUpstream>(StringComparer.OrdinalIgnoreCase);
            foreach (var u in http.Children("upstream"))
            {
                if (!upstreams.TryAdd(u.Args[0], NginxUpstream.Read(u, resolves)))
                {
                    throw NginxConfigException.At(u, $"duplicate upstream \"{u.Args[0]}\"");
                }
            }

            var setVariables = CollectSetVariables(http);
            context = new Context(upstreams, builder, routes, setVariables, resolves) { ConfigFolder = Path.GetDirectoryName(file) ?? prefix };
            foreach (var z in http.Block!.Where(d => d.Name is "limit_req_zone" or "limit_conn_zone"))
            {
                var zone = NginxLimitZone.Read(z, v => NginxVariables.IsKnown(v, setVariables));
                if (!context.Zones.TryAdd(zone.Name, zone)) // nginx: shared memory zones are one namespace
                {
                    throw NginxConfigException.At(z, $"duplicate zone \"{zone.Name}\"");
                }
            }

            // Without an access_log directive nginx writes logs/access.log (combined) under the prefix: so does this.
            var httpScope = new NginxScope { Prefix = prefix, AccessLogs = [NginxAccessLog.Default(prefix, http)] }.With(http.Block!);
            foreach (var s in http.Children("server"))
            {
                servers.Add(Server(s, httpScope, context, servers.Count, http));
            }
        }

        var site = new NginxSite
        {
            Types = Types(http),
            HasAccessLogs = servers.Any(s => HasLogs(s.Level) || s.Locations.Any(HasLogs)),
            Servers = servers,
            ListenUrls = servers.SelectMany(s => s.Listens).Select(l => l.Url).Distinct(StringComparer.Ordinal).ToList(),
            PidFile = main.LastOrDefault(d => d.Name == "pid") is { } pid ? NginxPath.Full(pid, pid.Args[0], prefix) : null,
            ErrorLog = main.LastOrDefault(d => d.Name == "error_log") is { } log && log.Args[0] != "stderr" ? NginxPath.Full(log, log.Args[0], prefix) : null,
            ErrorLogLevel = main.LastOrDefault(d => d.Name == "error_log") is { Args.Count: > 1 } leveled ? ErrorLogLevel(leveled) : "error",
        };
        var options = new LbProxyOptions
        {
            Clusters = builder.Options,
            Nginx = site,
            Listeners = NginxTlsListeners.Build(servers),
            RateLimits = context?.RateLimits ?? new Dictionary<string, Gateway.RateLimits.RateLimitRule>(),
        };
        var tlsClusters = context?.TlsClusters;
        return new GatewayConfig(routes, [.. builder.Clusters.Select(c => tlsClusters?.GetValueOrDefault(c.ClusterId) is { } tls ? tls.Apply(c) : c)], options, file);
    }

    /// <summary>http-level <c>types</c> blocks (mime.types), else nginx's built-in three.</summary>
    private static Dictionary<string, string> Types(NginxDirective? http)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var block in http?.Children("types") ?? [])
        {
            foreach (var d in block.Block!)
            {
                foreach (var ext in d.Args)
                {
                    types[ext.ToLowerInvariant()] = d.Name;
                }
            }
        }

        return types.Count > 0 || http?.Child("types") is not null ? types
            : new Dictionary<string, string>(StringComparer.Ordinal) { ["html"] = "text/html", ["gif"] = "image/gif", ["jpg"] = "image/jpeg" };
    }

    private static string ErrorLogLevel(NginxDirective d) =>
        NginxErrorLog.IsLevel(d.Args[1]) ? d.Args[1] : throw NginxConfigException.At(d, $"invalid log level \"{d.Args[1]}\"");

    private static bool HasLogs(NginxLocation l) => l.AccessLogs.Count > 0 || l.Children.Any(HasLogs);

    private sealed record Context(IReadOnlyDictionary<string, NginxUpstream> Upstreams, NginxClusterBuilder Builder, List<RouteConfig> Routes,
        IReadOnlySet<string> SetVariables, Func<string, bool> Resolves)
    {
        /// <summary>nginx's conf prefix: relative ssl_* file paths start here.</summary>
        public string ConfigFolder { get; init; } = "";

        /// <summary>limit_req_zone / limit_conn_zone by name (http level).</summary>
        public Dictionary<string, NginxLimitZone> Zones { get; } = new(StringComparer.Ordinal);

        /// <summary>The LbProxy.RateLimits rules the locations' limit_req / limit_conn count on, by name.</summary>
        public Dictionary<string, Gateway.RateLimits.RateLimitRule> RateLimits { get; } = new(StringComparer.Ordinal);

        /// <summary>Clusters reached by proxy_pass https://, with their TLS client settings (applied once all are built).</summary>
        public Dictionary<string, NginxUpstreamTls> TlsClusters { get; } = new(StringComparer.Ordinal);
    }


    private static NginxDirective? Single(IEnumerable<NginxDirective> block, string name)
    {
        var all = block.Where(d => d.Name == name).ToList();
        return all.Count > 1 ? throw NginxConfigException.At(all[1], $"\"{name}\" directive is duplicate") : all.FirstOrDefault();
    }

    private static HashSet<string> CollectSetVariables(NginxDirective root)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Walk(IEnumerable<NginxDirective> block)
        {
            foreach (var d in block)
            {
                if (d.Name == "set" && d.Args[0].StartsWith('$'))
                {
                    names.Add(d.Args[0][1..].ToLowerInvariant());
                }

                if (d.Block is not null)
                {
                    Walk(d.Block);
                }
            }
        }

        Walk(root.Block!);
        return names;
    }

    private static NginxServer Server(NginxDirective s, NginxScope outer, Context context, int index, NginxDirective http)
    {
        var listens = s.Children("listen").Select(Listen).ToList();
        if (listens.Count == 0)
        {
            listens.Add(new NginxListen(null, 80, false));
        }

        var names = s.Children("server_name").SelectMany(d => d.Args).ToList();
        var regexes = new List<Regex>();
        foreach (var d in s.Children("server_name"))
        {
            foreach (var name in d.Args.Where(n => n.StartsWith('~')))
            {
                regexes.Add(Compile(name[1..], ignoreCase: true, d));
            }
        }

        var scope = outer.With(s.Block!);
        var level = Level("", NginxLocationKind.Prefix, null, s, scope, null, context, $"s{index}", isServer: true);
        var locations = s.Children("location").Select((l, i) => Location(l, scope, null, context, $"s{index}-l{i}")).ToList();
        CheckDuplicates(locations);
        var named = locations.Where(l => l.Kind == NginxLocationKind.Named).ToDictionary(l => l.Name, StringComparer.Ordinal);
        return new NginxServer
        {
            Listens = listens,
            Names = names.Count > 0 ? names : [""],
            Regexes = regexes,
            RealIp = NginxRealIp.Read(http.Block!, s.Block!),
            Level = level,
            Locations = locations.Where(l => l.Kind != NginxLocationKind.Named).ToList(),
            Named = named,
            Tls = NginxServerTls.Read(http, s, context.ConfigFolder),
        };
    }

    private static void CheckDuplicates(List<NginxLocation> locations)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var l in locations)
        {
            // nginx: "^~ /x" and "/x" are the same location; "= /x" is another.
            var key = (l.Kind is NginxLocationKind.Exact ? "=" : l.Kind is NginxLocationKind.Prefix or NginxLocationKind.PrefixNoRegex ? "" : l.Kind.ToString()) + l.Name;
            if (!seen.Add(key))
            {
                throw new NginxConfigException($"duplicate location \"{l.Name}\"", l.Where.Split(':')[0], int.Parse(l.Where.Split(':')[^1], CultureInfo.InvariantCulture));
            }
        }
    }

    private static NginxListen Listen(NginxDirective d)
    {
        var text = d.Args[0];
        var ssl = d.Args.Skip(1).Contains("ssl");
        var http2 = d.Args.Skip(1).Contains("http2");
        foreach (var arg in d.Args.Skip(1))
        {
            if (arg is "quic" or "proxy_protocol")
            {
                throw NginxConfigException.At(d, $"\"listen ... {arg}\" is not supported by lbproxy-nginx");
            }
        }

        var isDefault = d.Args.Skip(1).Any(a => a is "default_server" or "default");
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            throw NginxConfigException.At(d, "\"listen unix:\" is not supported by lbproxy-nginx");
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var portOnly))
        {
            return portOnly is >= 1 and <= 65535 ? new NginxListen(null, portOnly, isDefault) { Ssl = ssl, Http2 = http2 } : throw NginxConfigException.At(d, $"invalid port in \"{text}\" of the \"listen\" directive");
        }

        var (host, port) = NginxUpstream.SplitHostPort(text, d, "\"listen\"");
        if (host is "*" or "")
        {
            return new NginxListen(null, port, isDefault) { Ssl = ssl, Http2 = http2 };
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            try
            {
                address = Dns.GetHostAddresses(host).FirstOrDefault() ?? throw NginxConfigException.At(d, $"host not found in \"{text}\" of the \"listen\" directive");
            }
            catch (System.Net.Sockets.SocketException)
            {
                throw NginxConfigException.At(d, $"host not found in \"{text}\" of the \"listen\" directive");
            }
        }

        return new NginxListen(address, port, isDefault) { Ssl = ssl, Http2 = http2 };
    }

    private static NginxLocation Location(NginxDirective d, NginxScope outer, NginxLocation? parent, Context context, string id)
    {
        var (kind, name) = d.Args.Count == 2
            ? (d.Args[0] switch
            {
                "=" => NginxLocationKind.Exact,
                "^~" => NginxLocationKind.PrefixNoRegex,
                "~" => NginxLocationKind.Regex,
                "~*" => NginxLocationKind.RegexCaseless,
                _ => throw NginxConfigException.At(d, $"invalid location modifier \"{d.Args[0]}\""),
            }, d.Args[1])
            : d.Args[0].StartsWith('@') ? (NginxLocationKind.Named, d.Args[0])
            : d.Args[0].StartsWith('=') ? (NginxLocationKind.Exact, d.Args[0][1..])
            : d.Args[0].StartsWith("^~", StringComparison.Ordinal) ? (NginxLocationKind.PrefixNoRegex, d.Args[0][2..])
            : d.Args[0].StartsWith("~*", StringComparison.Ordinal) ? (NginxLocationKind.RegexCaseless, d.Args[0][2..])
            : d.Args[0].StartsWith('~') ? (NginxLocationKind.Regex, d.Args[0][1..])
            : (NginxLocationKind.Prefix, d.Args[0]);
        if (parent is not null)
        {
            if (parent.Kind == NginxLocationKind.Exact)
            {
                throw NginxConfigException.At(d, $"location \"{name}\" cannot be inside the exact location \"{parent.Name}\"");
            }

            if (kind == NginxLocationKind.Named)
            {
                throw NginxConfigException.At(d, $"named location \"{name}\" can be on the server level only");
            }

            if (kind is NginxLocationKind.Prefix or NginxLocationKind.PrefixNoRegex or NginxLocationKind.Exact
                && parent.Kind is NginxLocationKind.Prefix or NginxLocationKind.PrefixNoRegex && !name.StartsWith(parent.Name, StringComparison.Ordinal))
            {
                throw NginxConfigException.At(d, $"location \"{name}\" is outside location \"{parent.Name}\"");
            }
        }

        var regex = kind is NginxLocationKind.Regex or NginxLocationKind.RegexCaseless ? Compile(name, kind == NginxLocationKind.RegexCaseless, d) : null;
        var scope = outer.With(d.Block!);
        return Level(name, kind, regex, d, scope, parent, context, id, isServer: false);
    }

    private static NginxLocation Level(string name, NginxLocationKind kind, Regex? regex, NginxDirective d, NginxScope scope, NginxLocation? parent,
        Context context, string id, bool isServer)
    {
        var shell = new NginxLocation { Name = name, Kind = kind, Regex = regex, Where = d.Where };
        var children = isServer ? [] : d.Children("location").Select((l, i) => Location(l, scope, shell, context, $"{id}-{i}")).ToList();
        CheckDuplicates(children);
        var returns = d.Children("return").ToList();
        var proxies = d.Children("proxy_pass").ToList();
        if (proxies.Count > 1)
        {
            throw NginxConfigException.At(proxies[1], "\"proxy_pass\" directive is duplicate");
        }

        CheckVariables(d, context.SetVariables);
        return new NginxLocation
        {
            Name = name,
            Kind = kind,
            Regex = regex,
            Where = d.Where,
            Children = children,
            Return = returns.Count > 0 ? Return(returns[0]) : null,
            Proxy = proxies.Count == 1 ? Proxy(proxies[0], kind, scope, context, id) : null,
            ProxySetHeaders = scope.ProxySetHeaders,
            AddHeaders = scope.AddHeaders,
            DefaultType = scope.DefaultType,
            ErrorPages = scope.ErrorPages,
            Root = scope.Root ?? Path.GetFullPath(Path.Combine(scope.Prefix, "html")),
            Index = scope.Index,
            InterceptErrors = scope.InterceptErrors,
            AccessLogs = scope.AccessLogs,
            Rewrites = Rewrites(d.Block!, context),
            Limits = NginxLimitChecks.Build(scope.Limits, context.Zones, context.RateLimits),
        };
    }

    private static void CheckVariables(NginxDirective level, IReadOnlySet<string> setVariables)
    {
        foreach (var d in level.Block!)
        {
            if (d.Name is "location" or "server" or "upstream" or "if" or "hash" or "server_name" or "log_format" or "access_log")
            {
                continue;
            }

            foreach (var arg in d.Args)
            {
                if (!arg.Contains('$', StringComparison.Ordinal) || (d.Name == "set" && arg == d.Args[0]))
                {
                    continue;
                }

                foreach (var v in NginxTemplate.Parse(arg, d).Variables)
                {
                    if (!NginxVariables.IsKnown(v, setVariables))
                    {
                        throw new NginxConfigException($"unknown \"{v}\" variable"); // nginx names no file here
                    }
                }
            }
        }
    }

    private static List<NginxRewriteStep> Rewrites(IEnumerable<NginxDirective> block, Context context)
    {
        var steps = new List<NginxRewriteStep>();
        foreach (var d in block)
        {
            if (d.Name == "set")
            {
                if (!d.Args[0].StartsWith('$'))
                {
                    throw NginxConfigException.At(d, $"invalid variable name \"{d.Args[0]}\"");
                }

                steps.Add(new NginxRewriteStep { SetVariable = d.Args[0][1..].ToLowerInvariant(), SetValue = NginxTemplate.Parse(d.Args[1], d) });
            }
            else if (d.Name == "if")
            {
                steps.Add(If(d, context));
            }
            else if (d.Name == "return")
            {
                steps.Add(new NginxRewriteStep { Return = Return(d) });
            }
        }

        return steps;
    }

    private static NginxRewriteStep If(NginxDirective d, Context context)
    {
        // nginx's parser leaves the parentheses on the first and last words: "($a" "=" "b)".
        var args = d.Args.ToList();
        if (args.Count == 0 || !args[0].StartsWith('(') || !args[^1].EndsWith(')'))
        {
            throw NginxConfigException.At(d, $"invalid condition \"{string.Join(' ', d.Args)}\"");
        }

        args[0] = args[0][1..];
        args[^1] = args[^1][..^1];
        args.RemoveAll(a => a.Length == 0);
        foreach (var inner in d.Block!)
        {
            if (inner.Name is not ("return" or "set"))
            {
                throw NginxConfigException.At(inner, $"\"{inner.Name}\" inside \"if\" is not supported by lbproxy-nginx (only return and set)");
            }

            CheckVariables(d, context.SetVariables);
        }

        var step = new NginxRewriteStep
        {
            Subject = NginxTemplate.Parse(args[0], d),
            Then = Rewrites(d.Block!, context),
            Return = d.Children("return").FirstOrDefault() is { } r ? Return(r) : null,
        };
        if (args.Count == 1)
        {
            return step;
        }

        if (args.Count != 3)
        {
            throw NginxConfigException.At(d, $"invalid condition \"{string.Join(' ', d.Args)}\"");
        }

        return args[1] switch
        {
            "=" or "!=" => step with { Operator = args[1], Operand = NginxTemplate.Parse(args[2], d) },
            "~" or "!~" => step with { Operator = args[1], Pattern = Compile(args[2], ignoreCase: false, d) },
            "~*" or "!~*" => step with { Operator = args[1], Pattern = Compile(args[2], ignoreCase: true, d) },
            _ => throw NginxConfigException.At(d, $"unexpected \"{args[1]}\" in condition"),
        };
    }

    private static NginxReturn Return(NginxDirective d)
    {
        if (d.Args.Count == 1 && !int.TryParse(d.Args[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            var url = d.Args[0];
            if (!url.StartsWith("http://", StringComparison.Ordinal) && !url.StartsWith("https://", StringComparison.Ordinal)
                && !url.StartsWith("$scheme", StringComparison.Ordinal))
            {
                throw NginxConfigException.At(d, $"invalid return code \"{url}\"");
            }

            return new NginxReturn(302, NginxTemplate.Parse(url, d));
        }

        if (!int.TryParse(d.Args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code > 999)
        {
            throw NginxConfigException.At(d, $"invalid return code \"{d.Args[0]}\"");
        }

        return new NginxReturn(code, d.Args.Count == 2 ? NginxTemplate.Parse(d.Args[1], d) : null);
    }

    private static NginxProxyTarget Proxy(NginxDirective d, NginxLocationKind kind, NginxScope scope, Context context, string id)
    {
        var url = d.Args[0];
        var https = url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!https && !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            throw NginxConfigException.At(d, $"invalid URL prefix in \"{url}\"");
        }

        var rest = url[(https ? 8 : 7)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var hostPort = slash < 0 ? rest : rest[..slash];
        var uri = slash < 0 ? null : NginxTemplate.Parse(rest[slash..], d);
        if (hostPort.Contains('$', StringComparison.Ordinal))
        {
            throw NginxConfigException.At(d, "proxy_pass with variables in the host is not supported by lbproxy-nginx");
        }

        if (uri is { HasVariables: false } && kind is NginxLocationKind.Regex or NginxLocationKind.RegexCaseless or NginxLocationKind.Named)
        {
            throw NginxConfigException.At(d, "\"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, "
                + "or inside \"if\" statement, or inside \"limit_except\" block");
        }

        NginxUpstream upstream;
        string proxyHost, proxyPort;
        if (!hostPort.Contains(':', StringComparison.Ordinal) && context.Upstreams.TryGetValue(hostPort, out var named))
        {
            upstream = named;
            (proxyHost, proxyPort) = (hostPort, https ? "443" : "80");
        }
        else
        {
            var (host, port) = NginxUpstream.SplitHostPort(hostPort, d, "upstream");
            var defaultPort = https ? 443 : 80;
            port = hostPort.LastIndexOf(':') > hostPort.LastIndexOf(']') ? port : defaultPort; // https:// without a port is 443
            if (!context.Resolves(host))
            {
                throw NginxConfigException.At(d, $"host not found in upstream \"{hostPort}\"");
            }

            var server = new NginxUpstreamServer(hostPort, host, port);
            upstream = new NginxUpstream(hostPort, [server], Gateway.LoadBalancing.LoadBalancingPolicyNames.NginxRoundRobin, null, d);
            proxyHost = port == defaultPort ? host : $"{host}:{port}";
            proxyPort = port.ToString(CultureInfo.InvariantCulture);
        }

        // http and https use of one upstream are different clusters; proxy_ssl_* only matter for https.
        var ssl = https ? scope.ProxySsl with { Https = true } : NginxProxySsl.Default;
        var clusterId = context.Builder.ClusterFor(upstream, scope with { ProxySsl = ssl });
        if (https)
        {
            context.TlsClusters[clusterId] = NginxUpstreamTls.For(ssl, proxyHost, context.ConfigFolder, d);
        }

        var routeId = "nginx-" + id;
        var metadata = new Dictionary<string, string> { [LocationMetadataKey] = id };
        if (scope.NextUpstream.Contains("non_idempotent"))
        {
            metadata[Gateway.Proxy.ForwardingMiddleware.RetryNonIdempotentMetadataKey] = "true";
        }

        context.Routes.Add(new RouteConfig
        {
            RouteId = routeId,
            ClusterId = clusterId,
            // Never chosen by YARP's matcher: the nginx front picks the route for the location it selected.
            Match = new RouteMatch { Path = "/{**nginx}", Headers = [new RouteHeader { Name = "X-LbProxy-Nginx-Route", Values = [routeId] }] },
            Metadata = metadata,
        });
        return new NginxProxyTarget(routeId, clusterId, proxyHost, proxyPort, uri, upstream.HashKey) { UpstreamName = upstream.Name };
    }

    private static Regex Compile(string pattern, bool ignoreCase, NginxDirective d)
    {
        try
        {
            // PCRE and .NET agree on the syntax nginx configs use; captures are numbered the same way.
            return new Regex(pattern, RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None), TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw NginxConfigException.At(d, $"pcre2_compile() failed: {ex.Message} in \"{pattern}\"");
        }
    }
}
