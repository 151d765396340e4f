using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Transport;

public static class TransportHostingExtensions
{
    /// <summary>
    /// Kestrel's socket transport (inline scheduling as asked) and, when <see cref="EpollTransport.IsEnabled"/>, the epoll
    /// transport registered after it, so Kestrel picks the epoll one for IP listeners and the socket one for the rest.
    /// </summary>
    public static IWebHostBuilder UseLbProxyTransport(this IWebHostBuilder builder, bool inlineScheduling)
    {
        builder.UseSockets(o => o.UnsafePreferInlineScheduling = inlineScheduling);
        if (EpollTransport.IsEnabled(inlineScheduling))
        {
            EpollLoops.CheckSetting();
            builder.ConfigureServices(services => services.AddSingleton<IConnectionListenerFactory, EpollTransportFactory>());
        }

        return builder;
    }
}
