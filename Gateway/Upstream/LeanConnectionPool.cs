using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Upstream;

/// <summary>
/// Idle keep-alive connections to one destination (scheme, host, port), most recently used first so the warm ones
/// are reused and the cold ones age out. No cap on connections, as SocketsHttpHandler's default; a cluster may cap the
/// idle ones it leaves across its destinations (<see cref="LeanIdleBudget"/>).
/// </summary>
internal sealed class LeanConnectionPool : IDisposable
{
    /// <summary>YARP gives SocketsHttpHandler this connect timeout.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly Lock _lock = new();
    private readonly Stack<LeanConnection> _idle = new();
    private readonly EndPoint _endPoint;
    private readonly string _host;
    private readonly int _port;
    private readonly bool _epoll;
    private bool _disposed;

    public LeanConnectionPool(Uri uri, bool epoll = false)
    {
        _epoll = epoll;
        _host = uri.IdnHost;
        _port = uri.Port;
        _endPoint = IPAddress.TryParse(_host, out var address) ? new IPEndPoint(address, _port) : new DnsEndPoint(_host, _port);
        // What SocketsHttpHandler writes when the request has no Host header: the host, and the port unless it is the default.
        var authority = uri.HostNameType == UriHostNameType.IPv6 ? $"[{_host.Trim('[', ']')}]" : _host;
        HostLine = Encoding.ASCII.GetBytes($"Host: {authority}{(uri.IsDefaultPort ? "" : ":" + _port.ToString(System.Globalization.CultureInfo.InvariantCulture))}\r\n");
    }

    /// <summary>"Host: host[:port]\r\n" for requests without a Host header of their own.</summary>
    public byte[] HostLine { get; }

    /// <summary>An idle connection that still looks usable, or null.</summary>
    public LeanConnection? TryRent()
    {
        while (true)
        {
            LeanConnection? connection;
            lock (_lock)
            {
                if (!_idle.TryPop(out connection))
                {
                    return null;
                }
            }

            connection.IdleBudget?.Give();

            if (connection.IsUsable())
            {
                return connection;
            }

            connection.Dispose();
        }
    }

    public void Return(LeanConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        connection.Reused = true;
        connection.ReceivedAny = false;
        if (connection.IdleBudget is { } budget && !budget.TryTake())
        {
            connection.Dispose(); // the cluster keeps as many idle as it may (nginx keepalive N)
            return;
        }

        lock (_lock)
        {
            if (!_disposed)
            {
                _idle.Push(connection);
                return;
            }
        }

        connection.IdleBudget?.Give();
        connection.Dispose();
    }

    public async ValueTask<LeanConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            return _epoll
                ? new LeanConnection(await Transport.EpollConnector.ConnectAsync(_endPoint, timeout.Token), this)
                : await ConnectSocketAsync(timeout.Token);
        }
        catch (SocketException e)
        {
            // SocketsHttpHandler's shape, which the forwarding loop reads as "never sent".
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"{e.Message} ({_host}:{_port})", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TaskCanceledException(e.Message,
                new TimeoutException("A connection could not be established within the configured ConnectTimeout.", e), CancellationToken.None);
        }
    }

    /// <summary>A connection on .NET's sockets (not on the epoll loops); the socket is closed if it fails.</summary>
    private async ValueTask<LeanConnection> ConnectSocketAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_endPoint, cancellationToken);
            return new LeanConnection(socket, this);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Closes connections idle longer than <paramref name="idleTimeout"/> (SocketsHttpHandler: PooledConnectionIdleTimeout).</summary>
    public void Scavenge(TimeSpan idleTimeout)
    {
        var now = Environment.TickCount64;
        List<LeanConnection>? expired = null;
        lock (_lock)
        {
            if (_idle.Count == 0)
            {
                return;
            }

            var keep = new List<LeanConnection>(_idle.Count);
            while (_idle.TryPop(out var connection))
            {
                if (now - connection.IdleSince > idleTimeout.TotalMilliseconds || connection.IsDisposed)
                {
                    (expired ??= []).Add(connection);
                }
                else
                {
                    keep.Add(connection);
                }
            }

            for (var i = keep.Count - 1; i >= 0; i--)
            {
                _idle.Push(keep[i]);
            }
        }

        expired?.ForEach(c =>
        {
            c.IdleBudget?.Give();
            c.Dispose();
        });
    }

    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    public void Dispose()
    {
        LeanConnection[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (var connection in idle)
        {
            connection.IdleBudget?.Give();
            connection.Dispose();
        }
    }
}
