using System.Net;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's realip module (ngx_http_realip_module.c): when the connection comes from a trusted address
/// (<c>set_real_ip_from</c>), the client address is taken from <c>real_ip_header</c> (X-Real-IP by default). For a list
/// header (X-Forwarded-For) the last address is used, or with <c>real_ip_recursive on</c> the last one that is not
/// trusted itself. Everything after it ($remote_addr, ip_hash, $proxy_add_x_forwarded_for) sees that address.
/// </summary>
public sealed record NginxRealIp(IReadOnlyList<IPNetwork> From, string Header, bool Recursive)
{
    public static NginxRealIp? Read(IEnumerable<NginxDirective> http, IEnumerable<NginxDirective> server)
    {
        var all = http.Concat(server).ToList();
        var from = new List<IPNetwork>();
        foreach (var d in all.Where(d => d.Name == "set_real_ip_from"))
        {
            var text = d.Args[0];
            if (text.StartsWith("unix:", StringComparison.Ordinal))
            {
                continue;
            }

            if (!IPNetwork.TryParse(text.Contains('/', StringComparison.Ordinal) ? text : IPAddress.TryParse(text, out var a)
                ? $"{text}/{(a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}" : text, out var network))
            {
                throw NginxConfigException.At(d, $"invalid parameter \"{text}\"");
            }

            from.Add(network);
        }

        if (from.Count == 0)
        {
            return null;
        }

        var header = all.LastOrDefault(d => d.Name == "real_ip_header")?.Args[0] ?? "X-Real-IP";
        var recursive = all.LastOrDefault(d => d.Name == "real_ip_recursive")?.Args[0] == "on";
        return new NginxRealIp(from, header, recursive);
    }

    public IPAddress? ClientAddress(IPAddress? connection, string headerValue)
    {
        if (connection is null || !Trusted(connection) || headerValue.Length == 0)
        {
            return null;
        }

        var parts = headerValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(parts[i], out var address))
            {
                return null;
            }

            if (!Recursive || !Trusted(address) || i == 0)
            {
                return address;
            }
        }

        return null;
    }

    private bool Trusted(IPAddress address)
    {
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return From.Any(n => n.Contains(a));
    }
}
