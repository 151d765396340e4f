using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Tls;

/// <summary>
/// The proxy's listeners as Kestrel bound them: a port 0 is replaced by the OS's choice once the server has started, so
/// the gateway can say where its h2c listeners are (<see cref="GatewayHost.H2cUrls"/>, the banner) as it does for --urls.
/// </summary>
internal sealed class BoundListeners
{
    private readonly List<(ListenerOptions Listener, ListenOptions Listen)> _bound = [];
    private readonly Lock _lock = new();

    public void Add(ListenerOptions listener, ListenOptions listen)
    {
        lock (_lock)
        {
            _bound.Add((listener, listen));
        }
    }

    /// <summary>
    /// The cleartext HTTP/2-only (h2c: gRPC clients) listeners' addresses, written as the server's address list writes
    /// them (ListenOptions' display name), so the other proxy URLs are that list without these.
    /// </summary>
    public IReadOnlyList<string> H2cUrls
    {
        get
        {
            lock (_lock)
            {
                return [.. _bound.Where(b => !b.Listener.IsHttps && b.Listen.Protocols == HttpProtocols.Http2).Select(b => b.Listen.ToString() ?? b.Listener.Url)];
            }
        }
    }
}
