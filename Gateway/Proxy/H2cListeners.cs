using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Proxy;

/// <summary>
/// Binds the proxy's listeners when it also takes gRPC clients (<c>--h2c-urls</c>). Kestrel speaks cleartext HTTP/2
/// (h2c with prior knowledge, what gRPC clients send to http:// addresses) only on an endpoint limited to HTTP/2: an
/// Http1AndHttp2 endpoint without TLS has no ALPN to choose with and falls back to HTTP/1.1. So h2c gets endpoints of
/// its own (HTTP/2 only) that reach the same routes, and since endpoints bound in code replace UseUrls, the ordinary
/// URLs are bound here too (HTTP/1.1, plus HTTP/2 over TLS). The h2c addresses (port 0 resolved) are known once the
/// server started. The ModelWorker binds its gRPC port the same way (ModelWorker/KServe/GrpcListeners).
/// </summary>
internal sealed class H2cListeners
{
    private readonly List<ListenOptions> _h2c = [];

    /// <summary>The h2c addresses, ports resolved once the server has started.</summary>
    public IReadOnlyList<string> Urls => [.. _h2c.Select(o => o.IPEndPoint is { } ip ? $"http://{Format(ip)}" : o.ToString() ?? "")];

    public void Bind(KestrelServerOptions kestrel, IEnumerable<string> httpUrls, IEnumerable<string> h2cUrls)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        foreach (var url in httpUrls)
        {
            // HTTP/2 over TLS where ALPN can choose it; cleartext HTTP/2 is the h2c endpoints' alone.
            Listen(kestrel, url, url.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1);
        }

        foreach (var url in h2cUrls)
        {
            Listen(kestrel, url, HttpProtocols.Http2, _h2c);
        }
    }

    private static void Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols, List<ListenOptions>? keep = null)
    {
        var address = BindingAddress.Parse(url);
        void Configure(ListenOptions options)
        {
            options.Protocols = protocols;
            if (address.Scheme == "https")
            {
                options.UseHttps();
            }

            keep?.Add(options);
        }

        if (address.IsUnixPipe)
        {
            kestrel.ListenUnixSocket(address.UnixPipePath, Configure);
        }
        else if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(address.Port, Configure);
        }
        else if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
        {
            kestrel.Listen(ip, address.Port, Configure);
        }
        else
        {
            kestrel.ListenAnyIP(address.Port, Configure); // *, +, a host name: every interface, as --urls does
        }
    }

    private static string Format(IPEndPoint endpoint) => endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{endpoint.Address}]:{endpoint.Port}"
        : $"{endpoint.Address}:{endpoint.Port}";
}
