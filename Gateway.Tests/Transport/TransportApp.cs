using System.Net;
using Gateway.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Transport;

/// <summary>
/// A real Kestrel app on 127.0.0.1 (OS port) on the transport the gateway would use ("epoll") or Kestrel's own socket
/// transport ("sockets"), so a test can hold the epoll transport to what the socket transport does.
/// </summary>
public sealed class TransportApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TransportApp(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.First());

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Url.Port);

    public static async Task<TransportApp> StartAsync(string transport, RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (transport == "epoll")
        {
            Assert.True(EpollTransport.IsSupported, "the epoll transport needs Linux on x86-64");
            builder.WebHost.UseLbProxyTransport(inlineScheduling: true);
        }
        else
        {
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return new TransportApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
