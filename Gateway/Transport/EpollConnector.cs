using System.Net;
using System.Net.Sockets;

namespace Gateway.Transport;

/// <summary>Opens client connections on the event loops (the lean upstream client's).</summary>
internal static class EpollConnector
{
    /// <summary>
    /// A non-blocking connect whose completion is the socket's first output edge, so the connection never touches
    /// .NET's own epoll thread. Host names are resolved first and their addresses tried in order, as Socket's do.
    /// </summary>
    public static async ValueTask<EpollSocket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        IPEndPoint[] targets = endPoint switch
        {
            IPEndPoint ip => [ip],
            DnsEndPoint dns => [.. (await Dns.GetHostAddressesAsync(dns.Host, cancellationToken)).Select(a => new IPEndPoint(a, dns.Port))],
            _ => throw new ArgumentException($"{endPoint} is not an IP or DNS end point", nameof(endPoint)),
        };

        SocketException? last = null;
        foreach (var target in targets)
        {
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
            EpollSocket? connection = null;
            try
            {
                var inProgress = false;
                try
                {
                    socket.Connect(target);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                    inProgress = true;
                }

                connection = new EpollSocket(socket, EpollLoops.Pick());
                if (inProgress)
                {
                    await connection.WaitWritableAsync(cancellationToken);
                    var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                    if (error != SocketError.Success)
                    {
                        throw new SocketException((int)error);
                    }
                }

                return connection;
            }
            catch (Exception e)
            {
                connection?.Dispose(); // closes the socket too
                socket.Dispose();
                if (e is not SocketException failed)
                {
                    throw;
                }

                last = failed; // the next address, as Socket's connect tries them
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
