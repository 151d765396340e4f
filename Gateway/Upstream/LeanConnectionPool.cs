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

    // One stack per event loop (one in all on .NET's sockets). A request takes an idle connection of the loop it runs on,
    // so the response wakes the thread that is already running the request instead of the other loop's, as HAProxy's
    // per-thread idle lists do; another loop's idle connection is still taken before a new one is opened.
    private readonly IdleStack[] _idle;
    private readonly EndPoint _endPoint;
    private readonly string _host;
    private readonly int _port;
    private readonly bool _epoll;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<LeanConnection, byte> _open = new(); // every connection not closed yet
    private volatile bool _disposed;

    public LeanConnectionPool(Uri uri, bool epoll = false)
    {
        _epoll = epoll;
        _idle = [.. Enumerable.Range(0, epoll ? Transport.EpollLoops.All.Count : 1).Select(_ => new IdleStack())];
        _host = uri.IdnHost;
        _port = uri.Port;
        _endPoint = IPAddress.TryParse(_host, out var address) ? new IPEndPoint(address, _port) : new DnsEndPoint(_host, _port);
        // What SocketsHttpHandler writes when the request has no Host header: the host, and the port unless it is the default.
        var authority = uri.HostNameType == UriHostNameType.IPv6 ? $"[{_host.Trim('[', ']')}]" : _host;
        HostLine = Encoding.ASCII.GetBytes($"Host: {authority}{(uri.IsDefaultPort ? "" : ":" + _port.ToString(System.Globalization.CultureInfo.InvariantCulture))}\r\n");
    }

    /// <summary>"Host: host[:port]\r\n" for requests without a Host header of their own.</summary>
    public byte[] HostLine { get; }

    /// <summary>An idle connection that still looks usable, the calling loop's first, or null.</summary>
    public LeanConnection? TryRent()
    {
        var first = _idle.Length == 1 ? 0 : (Transport.EpollLoop.Current?.Index ?? 0) % _idle.Length;
        for (var i = 0; i < _idle.Length; i++)
        {
            var stack = _idle[(first + i) % _idle.Length];
            while (stack.TryPop(out var connection))
            {
                connection.IdleBudget?.Give();
                if (connection.IsUsable())
                {
                    return connection;
                }

                connection.Dispose();
            }
        }

        return null;
    }

    public void Return(LeanConnection connection)
    {
        connection.Unwatch();
        connection.IdleSince = Environment.TickCount64;
        connection.Reused = true;
        connection.ReceivedAny = false;
        if (connection.IdleBudget is { } budget && !budget.TryTake())
        {
            connection.Dispose(); // the cluster keeps as many idle as it may (nginx keepalive N)
            return;
        }

        // Dispose sets _disposed before it empties the stacks, so a connection pushed here is either emptied or not pushed.
        if (!_idle[Math.Max(0, connection.LoopIndex) % _idle.Length].TryPush(connection))
        {
            CloseIdle(connection);
        }
    }

    /// <summary>Closes a connection that held a place in its cluster's idle budget, and gives the place back.</summary>
    private static void CloseIdle(LeanConnection connection)
    {
        connection.IdleBudget?.Give();
        connection.Dispose();
    }

    public async ValueTask<LeanConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            var connection = _epoll
                ? new LeanConnection(await Transport.EpollConnector.ConnectAsync(_endPoint, timeout.Token), this)
                : await ConnectSocketAsync(timeout.Token);
            _open.TryAdd(connection, 0);
            return connection;
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

    /// <summary>A connection closed: no longer watched (<see cref="CheckActivity"/>).</summary>
    public void Forget(LeanConnection connection) => _open.TryRemove(connection, out _);

    /// <summary>Ends the tries whose connection saw no activity within their timeout (see <see cref="LeanConnection.CheckActivity"/>).</summary>
    public void CheckActivity(long now)
    {
        foreach (var (connection, _) in _open)
        {
            connection.CheckActivity(now);
        }
    }

    /// <summary>Closes connections idle longer than <paramref name="idleTimeout"/> (SocketsHttpHandler: PooledConnectionIdleTimeout).</summary>
    public void Scavenge(TimeSpan idleTimeout)
    {
        var now = Environment.TickCount64;
        foreach (var stack in _idle)
        {
            stack.RemoveWhere(c => now - c.IdleSince > idleTimeout.TotalMilliseconds || c.IsDisposed)?.ForEach(CloseIdle);
        }
    }

    public int IdleCount => _idle.Sum(s => s.Count);

    public void Dispose()
    {
        _disposed = true;
        foreach (var stack in _idle)
        {
            stack.RemoveWhere(static _ => true)?.ForEach(CloseIdle);
        }
    }

    /// <summary>Idle connections, most recently used on top, under a lock of their own.</summary>
    private sealed class IdleStack
    {
        private readonly Lock _lock = new();
        private readonly Stack<LeanConnection> _items = new();

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _items.Count;
                }
            }
        }

        public bool TryPop([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LeanConnection? connection)
        {
            lock (_lock)
            {
                return _items.TryPop(out connection);
            }
        }

        /// <summary>Pushes the connection unless its pool is disposed (read under the lock).</summary>
        public bool TryPush(LeanConnection connection)
        {
            lock (_lock)
            {
                if (connection.Pool._disposed)
                {
                    return false;
                }

                _items.Push(connection);
                return true;
            }
        }

        /// <summary>Takes out the connections <paramref name="remove"/> picks (null: none), keeping the others' order.</summary>
        public List<LeanConnection>? RemoveWhere(Func<LeanConnection, bool> remove)
        {
            List<LeanConnection>? removed = null;
            lock (_lock)
            {
                if (_items.Count == 0)
                {
                    return null;
                }

                var keep = new List<LeanConnection>(_items.Count);
                while (_items.TryPop(out var connection))
                {
                    (remove(connection) ? removed ??= [] : keep).Add(connection);
                }

                for (var i = keep.Count - 1; i >= 0; i--)
                {
                    _items.Push(keep[i]);
                }
            }

            return removed;
        }
    }
}
