using System.Globalization;
using System.Net;

namespace Gateway.Tls;

/// <summary>
/// A listener URL taken apart as Kestrel binds it: <c>SCHEME://HOST:PORT</c> with HOST an IP address (IPv6 in brackets),
/// <c>localhost</c>, or <c>*</c> / <c>+</c> for every address. Port 0 asks the OS for one.
/// </summary>
internal sealed record ListenerAddress(bool Https, string Host, IPAddress? Address, int Port)
{
    public static bool TryParse(string url, out ListenerAddress address, out string problem)
    {
        address = null!;
        problem = "";
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd > 0 ? url[..schemeEnd].ToLowerInvariant() : "";
        if (scheme is not ("http" or "https"))
        {
            problem = "it must start with http:// or https://";
            return false;
        }

        var rest = url[(schemeEnd + 3)..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || rest.EndsWith(']') || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            problem = "it needs a port from 0 to 65535 after the host (http://127.0.0.1:8443)";
            return false;
        }

        var host = rest[..colon];
        IPAddress? ip = null;
        if (host is not ("*" or "+" or "localhost") && !IPAddress.TryParse(host.Trim('[', ']'), out ip))
        {
            problem = $"'{host}' is not an IP address, localhost or *; a listener binds addresses, not names";
            return false;
        }

        address = new ListenerAddress(scheme == "https", host, ip, port);
        return true;
    }
}
