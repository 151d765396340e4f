using System.Net;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's choice of virtual server: among the servers on the connection's listen socket (a server listening on the
/// exact local address beats one listening on every address), the Host name matched against server_name as exact
/// name, then longest leading wildcard (<c>*.example.com</c>, <c>.example.com</c>), then longest trailing wildcard
/// (<c>www.example.*</c>), then regexes in order; otherwise that socket's default_server, else its first server.
/// </summary>
public static class NginxServerSelector
{
    public static NginxServer? Select(NginxSite site, IPAddress? local, int port, string host)
    {
        var onSocket = site.Servers.Where(s => s.Listens.Any(l => l.Address is not null && l.Accepts(local, port))).ToList();
        if (onSocket.Count == 0)
        {
            onSocket = site.Servers.Where(s => s.Listens.Any(l => l.Accepts(local, port))).ToList();
        }

        if (onSocket.Count == 0)
        {
            return null;
        }

        return ByName(onSocket, host)
            ?? onSocket.FirstOrDefault(s => s.Listens.Any(l => l.DefaultServer && l.Accepts(local, port)))
            ?? onSocket[0];
    }

    private static NginxServer? ByName(List<NginxServer> servers, string host)
    {
        foreach (var s in servers)
        {
            if (s.Names.Any(n => string.Equals(n, host, StringComparison.OrdinalIgnoreCase)
                || (n.StartsWith('.') && string.Equals(n[1..], host, StringComparison.OrdinalIgnoreCase))))
            {
                return s;
            }
        }

        var leading = Best(servers, host, n => n.StartsWith("*.", StringComparison.Ordinal) ? n[1..] : n.StartsWith('.') ? n : null,
            (h, suffix) => h.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
        if (leading is not null)
        {
            return leading;
        }

        var trailing = Best(servers, host, n => n.EndsWith(".*", StringComparison.Ordinal) ? n[..^1] : null,
            (h, prefix) => h.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
        if (trailing is not null)
        {
            return trailing;
        }

        return host.Length == 0 ? null : servers.FirstOrDefault(s => s.Regexes.Any(r => r.IsMatch(host)));
    }

    private static NginxServer? Best(List<NginxServer> servers, string host, Func<string, string?> part, Func<string, string, bool> matches)
    {
        NginxServer? best = null;
        var bestLength = -1;
        foreach (var s in servers)
        {
            foreach (var name in s.Names)
            {
                if (part(name) is { } p && p.Length > bestLength && matches(host, p))
                {
                    best = s;
                    bestLength = p.Length;
                }
            }
        }

        return best;
    }
}
