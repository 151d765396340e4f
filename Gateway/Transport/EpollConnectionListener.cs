using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Transport;

/// <summary>
/// A listening socket for Kestrel. Accepting stays with System.Net.Sockets (one wake-up per connection); each accepted
/// socket joins the next event loop in turn and is served there for its whole life.
/// </summary>
internal sealed class EpollConnectionListener : IConnectionListener
{
    /// <summary>Kestrel's socket transport: SocketTransportOptions.Backlog, MaxReadBufferSize, MaxWriteBufferSize.</summary>
    private const int Backlog = 512;
    private const long MaxReadBufferSize = 1024 * 1024;
    private const long MaxWriteBufferSize = 64 * 1024;

    private readonly Socket _listenSocket;
    private readonly MemoryPool<byte> _pool;

    public EpollConnectionListener(IPEndPoint endPoint, MemoryPool<byte> pool)
    {
        _pool = pool;
        _listenSocket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                _listenSocket.DualMode = true; // [::] takes IPv4 too, as Kestrel's socket transport binds it
            }

            _listenSocket.Bind(endPoint);
            _listenSocket.Listen(Backlog);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            _listenSocket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            _listenSocket.Dispose();
            throw;
        }

        EndPoint = _listenSocket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _listenSocket.AcceptAsync(cancellationToken);
            }
            catch (ObjectDisposedException)
            {
                return null; // unbound
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                return null;
            }
            catch (SocketException)
            {
                continue; // the client reset before we accepted: wait for the next, as Kestrel's transport does
            }

            try
            {
                accepted.NoDelay = true;
                var connection = new EpollConnection(new EpollSocket(accepted, EpollLoops.Next()), _pool, MaxReadBufferSize, MaxWriteBufferSize);
                connection.Start();
                return connection;
            }
            catch (SocketException)
            {
                accepted.Dispose(); // gone between accept and set-up
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _listenSocket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _listenSocket.Dispose();
        _pool.Dispose();
        return ValueTask.CompletedTask;
    }
}
