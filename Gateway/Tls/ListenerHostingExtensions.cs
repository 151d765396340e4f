using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tls;

/// <summary>
/// Binds the proxy's Kestrel to <c>LbProxy.Listeners</c> (in place of --urls; <c>--h2c-urls</c> come as listeners too, see
/// <see cref="UrlListeners"/>), with TLS where the URL is https, and keeps what was bound (<see cref="BoundListeners"/>).
/// </summary>
internal static class ListenerHostingExtensions
{
    public static void AddLbProxyListeners(this WebApplicationBuilder builder, IReadOnlyList<ListenerOptions> listeners)
    {
        builder.Services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Tls");
            return new ListenerCertificates([.. listeners.Where(l => l.IsHttps).Select(l => new CertificateStore(l, logger))]);
        });
        builder.Services.AddHostedService<CertificateWatcher>();
        builder.Services.AddSingleton<BoundListeners>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var stores = kestrel.ApplicationServices.GetRequiredService<ListenerCertificates>().Stores;
            var bound = kestrel.ApplicationServices.GetRequiredService<BoundListeners>();
            foreach (var listener in listeners)
            {
                if (!ListenerAddress.TryParse(listener.Url, out var address, out var problem))
                {
                    throw new InvalidOperationException($"listener {listener.Url}: {problem}"); // the config's validation rejects it first
                }

                var store = stores.FirstOrDefault(s => ReferenceEquals(s.Listener, listener));
                void Configure(ListenOptions listen)
                {
                    ConfigureListen(listen, listener, store);
                    bound.Add(listener, listen); // its port, when 0, is known once the server has started
                }

                switch (address.Host)
                {
                    case "*" or "+":
                        kestrel.ListenAnyIP(address.Port, Configure);
                        break;
                    case "localhost":
                        kestrel.ListenLocalhost(address.Port, Configure);
                        break;
                    default:
                        kestrel.Listen(new IPEndPoint(address.Address!, address.Port), Configure);
                        break;
                }
            }
        });
    }

    private static void ConfigureListen(ListenOptions listen, ListenerOptions listener, CertificateStore? store)
    {
        listen.Protocols = listener.HttpProtocols is { } named
            ? Enum.Parse<HttpProtocols>(named, ignoreCase: true)
            : store is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
        if (store is null)
        {
            return;
        }

        var tls = SslProtocols.None;
        foreach (var version in listener.TlsProtocols)
        {
            tls |= version == ListenerOptions.Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12;
        }

        List<SslApplicationProtocol> alpn = listen.Protocols switch
        {
            HttpProtocols.Http2 => [SslApplicationProtocol.Http2],
            HttpProtocols.Http1 => [SslApplicationProtocol.Http11],
            _ => [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        };
        // Per handshake: the certificate for the client's SNI name from the store's current set, so a reloaded
        // certificate serves the next handshake while open connections keep theirs.
        var handshakeTimeout = TimeSpan.FromSeconds(10);
        PlainHttpOnTlsPort.Use(listen, handshakeTimeout, () => listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = handshakeTimeout,
            OnConnection = context => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = store.Current.Select(context.ClientHelloInfo.ServerName).Context,
                EnabledSslProtocols = tls,
                ApplicationProtocols = alpn,
                ClientCertificateRequired = false,
            }),
        }));
    }
}
