using Gateway.Tls;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's listen sockets as the gateway's <c>LbProxy.Listeners</c>, when one of them is <c>ssl</c> or <c>http2</c>:
/// one listener per address:port; a TLS socket carries the certificates of every server on it, each chosen for its
/// server_name by SNI (exact names and <c>*.x</c> / <c>.x</c> wildcards), the default server's first (what a client
/// with no or an unknown SNI name gets, as in nginx). Its TLS versions are the default server's <c>ssl_protocols</c>:
/// nginx negotiates the version before SNI switches servers, so theirs is the one in effect there too.
/// </summary>
internal static class NginxTlsListeners
{
    /// <summary>A name RFC 6761 reserves: no client sends it as SNI, so a certificate under it is only ever the default.</summary>
    private const string NoName = "default.invalid";

    public static IReadOnlyList<ListenerOptions> Build(IReadOnlyList<NginxServer> servers)
    {
        var sockets = servers.SelectMany(s => s.Listens).Select(l => l.Authority).Distinct(StringComparer.Ordinal).ToList();
        var listens = servers.SelectMany(s => s.Listens).ToList();
        if (!listens.Any(l => l.Ssl || l.Http2) && !servers.Any(s => s.Tls?.Http2 == true))
        {
            return []; // plain http everywhere: the gateway binds the listen URLs as before
        }

        var listeners = new List<ListenerOptions>();
        foreach (var socket in sockets)
        {
            var here = servers.Where(s => s.Listens.Any(l => l.Authority == socket)).ToList();
            var ssl = listens.Any(l => l.Authority == socket && l.Ssl);
            var http2 = listens.Any(l => l.Authority == socket && l.Http2) || here.Any(s => s.Tls?.Http2 == true);
            var first = here.FirstOrDefault(s => s.Listens.Any(l => l.Authority == socket && l.DefaultServer)) ?? here[0];
            if (!ssl)
            {
                listeners.Add(new ListenerOptions { Url = "http://" + socket, HttpProtocols = http2 ? "Http2" : "Http1" });
                continue;
            }

            if (first.Tls is not { Certificates.Count: > 0 } defaultTls)
            {
                var server = first.Tls?.Server;
                throw server is null
                    ? new NginxConfigException("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive")
                    : NginxConfigException.At(server, "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive");
            }

            var certificates = new List<CertificateOptions>();
            foreach (var server in here.Where(s => s != first).Prepend(first))
            {
                var hosts = SniNames(server.Names);
                if (server.Tls is not { Certificates.Count: > 0 } tls || (hosts.Count == 0 && server != first))
                {
                    continue; // nginx keeps the default server's certificate for a server without its own
                }

                certificates.AddRange(tls.Certificates.Select(c => c with { Hosts = hosts.Count > 0 ? hosts : [NoName] }));
            }

            listeners.Add(new ListenerOptions
            {
                Url = "https://" + socket,
                Certificates = certificates,
                TlsProtocols = defaultTls.Protocols,
                HttpProtocols = http2 ? "Http1AndHttp2" : "Http1",
            });
        }

        return listeners;
    }

    /// <summary>server_name entries a TLS SNI name can be matched against: exact and leading wildcards.</summary>
    private static List<string> SniNames(IReadOnlyList<string> names)
    {
        var hosts = new List<string>();
        foreach (var name in names.Where(n => !n.StartsWith('~')))
        {
            var candidates = name.StartsWith('.') ? [name[1..], "*" + name] : new[] { name };
            foreach (var host in candidates)
            {
                var bare = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
                if (Uri.CheckHostName(bare) == UriHostNameType.Dns && !bare.Contains('*', StringComparison.Ordinal))
                {
                    hosts.Add(host.ToLowerInvariant());
                }
            }
        }

        return hosts;
    }
}
