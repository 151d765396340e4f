using System.Globalization;
using System.Net;
using Gateway.LoadBalancing;

namespace Gateway.Config.Nginx;

/// <summary>An <c>upstream</c> block: its servers and balancing method, read with nginx's checks.</summary>
public sealed record NginxUpstream(string Name, IReadOnlyList<NginxUpstreamServer> Servers, string Policy, NginxTemplate? HashKey, NginxDirective Where)
{
    /// <summary>Whether the block has <c>keepalive N</c>: without it nginx closes every upstream connection after its response.</summary>
    public bool Keepalive => KeepaliveConnections > 0;

    /// <summary><c>keepalive N</c>: at most N idle connections kept for the upstream (0: none kept).</summary>
    public int KeepaliveConnections { get; init; }

    public static NginxUpstream Read(NginxDirective block, Func<string, bool> resolves)
    {
        var name = block.Args[0];
        string? policy = null;
        NginxTemplate? key = null;
        var servers = new List<NginxUpstreamServer>();
        var keepalive = 0;
        foreach (var d in block.Block!)
        {
            switch (d.Name)
            {
                case "keepalive":
                    keepalive = int.TryParse(d.Args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                        ? n
                        : throw NginxConfigException.At(d, $"invalid value \"{d.Args[0]}\" in \"keepalive\" directive");
                    break;
                case "server":
                    var server = ReadServer(d, resolves);
                    if (server.Backup && policy is LoadBalancingPolicyNames.IpHash or LoadBalancingPolicyNames.Hash or LoadBalancingPolicyNames.HashConsistent)
                    {
                        throw NginxConfigException.At(d, "balancing method does not support parameter \"backup\"");
                    }

                    servers.Add(server);
                    break;
                case "least_conn" or "ip_hash" or "hash" or "random":
                    // nginx warns "load balancing method redefined" and the later one holds.
                    (policy, key) = ReadMethod(d);
                    break;
            }
        }

        if (servers.Count == 0)
        {
            throw new NginxConfigException("no servers are inside upstream", block.File, block.EndLine);
        }

        policy ??= LoadBalancingPolicyNames.NginxRoundRobin; // nginx's default: smooth weighted round-robin
        if (policy is not (LoadBalancingPolicyNames.NginxRoundRobin or LoadBalancingPolicyNames.NginxLeastConn or LoadBalancingPolicyNames.RandomWeighted
            or LoadBalancingPolicyNames.RandomTwo) && servers.FirstOrDefault(s => s.Backup) is not null)
        {
            throw NginxConfigException.At(block, "invalid parameter \"backup\"");
        }

        return new NginxUpstream(name, servers, policy, key, block) { KeepaliveConnections = keepalive };
    }

    private static (string, NginxTemplate?) ReadMethod(NginxDirective d) => d.Name switch
    {
        "least_conn" => (LoadBalancingPolicyNames.NginxLeastConn, null),
        "ip_hash" => (LoadBalancingPolicyNames.IpHash, null),
        "hash" when d.Args.Count == 1 => (LoadBalancingPolicyNames.Hash, NginxTemplate.Parse(d.Args[0], d)),
        "hash" when d.Args[1] == "consistent" => (LoadBalancingPolicyNames.HashConsistent, NginxTemplate.Parse(d.Args[0], d)),
        "hash" => throw NginxConfigException.At(d, $"invalid parameter \"{d.Args[1]}\""),
        "random" when d.Args.Count == 0 => (LoadBalancingPolicyNames.RandomWeighted, null),
        "random" when d.Args[0] == "two" && (d.Args.Count == 1 || d.Args[1] == "least_conn") => (LoadBalancingPolicyNames.RandomTwo, null),
        _ => throw NginxConfigException.At(d, $"invalid parameter \"{d.Args[^1]}\""),
    };

    private static NginxUpstreamServer ReadServer(NginxDirective d, Func<string, bool> resolves)
    {
        var text = d.Args[0];
        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            throw NginxConfigException.At(d, $"unix domain sockets are not supported by lbproxy-nginx in upstream \"{text}\"");
        }

        var (host, port) = SplitHostPort(text, d, "upstream");
        if (!resolves(host))
        {
            throw NginxConfigException.At(d, $"host not found in upstream \"{text}\"");
        }

        var server = new NginxUpstreamServer(text, host, port);
        foreach (var arg in d.Args.Skip(1))
        {
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = eq < 0 ? (arg, "") : (arg[..eq], arg[(eq + 1)..]);
            server = key switch
            {
                "weight" when PositiveInt(value) is { } w => server with { Weight = w },
                "max_fails" when NonNegativeInt(value) is { } f => server with { MaxFails = f },
                "fail_timeout" when NginxTime.TrySeconds(value, out var t) => server with { FailTimeoutSeconds = t },
                "max_conns" when NonNegativeInt(value) is { } c => server with { MaxConns = c },
                "backup" when eq < 0 => server with { Backup = true },
                "down" when eq < 0 => server with { Down = true },
                _ => throw NginxConfigException.At(d, $"invalid parameter \"{arg}\""),
            };
        }

        return server;
    }

    /// <summary>"host:port", "host" (port 80), "[v6]:port"; nginx's messages for a bad port.</summary>
    public static (string Host, int Port) SplitHostPort(string text, NginxDirective d, string what)
    {
        var s = text;
        if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            s = s[7..];
        }

        string host;
        string? port = null;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            host = close > 0 ? s[1..close] : throw NginxConfigException.At(d, $"invalid host in {what} \"{text}\""); // fuzzing: "[v6" without "]"
            if (close + 1 < s.Length && s[close + 1] == ':')
            {
                port = s[(close + 2)..];
            }
        }
        else
        {
            var colon = s.LastIndexOf(':');
            (host, port) = colon < 0 ? (s, null) : (s[..colon], s[(colon + 1)..]);
        }

        if (port is null)
        {
            return (host, 80);
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
        {
            throw NginxConfigException.At(d, $"invalid port in {what} \"{text}\"");
        }

        return (host, p);
    }

    public static bool Resolves(string host)
    {
        if (IPAddress.TryParse(host, out _))
        {
            return true;
        }

        try
        {
            return Dns.GetHostAddresses(host).Length > 0;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static int? PositiveInt(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;

    private static int? NonNegativeInt(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
}
