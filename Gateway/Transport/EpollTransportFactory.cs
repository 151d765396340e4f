using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Transport;

/// <summary>
/// Kestrel's transport for IP listeners when <see cref="EpollTransport.IsEnabled"/>; Kestrel picks it before the socket
/// transport for what it can bind (IP end points) and keeps the socket transport for the rest (Unix sockets, handles).
/// </summary>
internal sealed class EpollTransportFactory(IMemoryPoolFactory<byte>? pools = null) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"The epoll transport binds IP end points, not {endpoint.GetType().Name}.");
        }

        // Kestrel's pinned block pool when it offers one (pinned blocks: a send pins them for free), with a few blocks
        // kept on each loop thread in front of it.
        var pool = new ThreadCachedMemoryPool(pools?.Create(new MemoryPoolOptions()) ?? MemoryPool<byte>.Shared);
        return new ValueTask<IConnectionListener>(new EpollConnectionListener(ip, pool));
    }
}
