using System.Buffers;
using System.Net.Sockets;

namespace Gateway.Upstream;

/// <summary>
/// One keep-alive HTTP/1.1 connection to a destination: the socket, a read buffer the response head is parsed in
/// place from, a write buffer the request head (and a small body) is assembled in, so a request is one send.
/// Socket errors surface as IOException, as NetworkStream's do, so callers map them the way SocketsHttpHandler does.
/// </summary>
internal sealed class LeanConnection : IDisposable
{
    private const int InitialReadSize = 8 * 1024;
    private const int InitialWriteSize = 4 * 1024;

    private readonly Socket _socket;
    private readonly Transport.EpollSocket? _epoll; // on the event loops: its receive and send instead of the Socket's
    private byte[] _read = ArrayPool<byte>.Shared.Rent(InitialReadSize);
    private byte[] _write = ArrayPool<byte>.Shared.Rent(InitialWriteSize);
    private int _readStart;
    private int _readEnd;
    private int _disposed;

    public LeanConnection(Socket socket, LeanConnectionPool pool)
    {
        _socket = socket;
        Pool = pool;
    }

    public LeanConnection(Transport.EpollSocket socket, LeanConnectionPool pool)
        : this(socket.Socket, pool) => _epoll = socket;

    public LeanConnectionPool Pool { get; }

    /// <summary>The event loop whose thread handles this connection's events, or -1 on .NET's sockets.</summary>
    public int LoopIndex => _epoll?.Loop.Index ?? -1;

    /// <summary>The idle cap of the cluster that used it last (null: none); set while it is rented, never while idle.</summary>
    public LeanIdleBudget? IdleBudget { get; set; }

    public HeaderValueCache Cache { get; } = new();

    /// <summary>Whether this connection has completed a request before (a stale keep-alive connection fails on first use).</summary>
    public bool Reused { get; set; }

    /// <summary>Whether any byte of the current response has arrived (after that a failed request cannot be retried).</summary>
    public bool ReceivedAny { get; set; }

    public long IdleSince { get; set; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    // ---- activity timeout (the lean forwarder's; YARP keeps its own for requests it forwards) ----

    private long _activityDeadline; // Environment.TickCount64 ms; 0: not watched
    private long _activityTimeoutMs;

    /// <summary>Whether the watchdog ended the try using this connection for want of activity (it shut the socket down).</summary>
    public bool ActivityTimedOut { get; private set; }

    /// <summary>
    /// A try starts on this connection: from now on, no progress for <paramref name="timeoutMs"/> ends it (YARP's
    /// ActivityTimeout); 0 watches nothing (an infinite timeout).
    /// </summary>
    public void WatchActivity(long timeoutMs)
    {
        ActivityTimedOut = false;
        _activityTimeoutMs = timeoutMs;
        Volatile.Write(ref _activityDeadline, timeoutMs > 0 ? Environment.TickCount64 + timeoutMs : 0);
    }

    /// <summary>The try made progress (bytes came): its activity deadline moves on.</summary>
    public void Active()
    {
        if (_activityTimeoutMs > 0)
        {
            Volatile.Write(ref _activityDeadline, Environment.TickCount64 + _activityTimeoutMs);
        }
    }

    /// <summary>Idle again: nothing to watch.</summary>
    public void Unwatch()
    {
        _activityTimeoutMs = 0;
        Volatile.Write(ref _activityDeadline, 0);
    }

    /// <summary>
    /// The watchdog's check: a try past its activity deadline is ended by shutting the socket down, which completes its
    /// pending receive or send (a disposed descriptor could be reused under it; a shut one cannot). It then reads
    /// <see cref="ActivityTimedOut"/> to tell a timeout from the destination closing.
    /// </summary>
    public void CheckActivity(long now)
    {
        var deadline = Volatile.Read(ref _activityDeadline);
        if (deadline == 0 || now <= deadline || IsDisposed)
        {
            return;
        }

        ActivityTimedOut = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // ---- write side ----

    public int WriteLength { get; private set; }

    public Span<byte> GetWriteSpan(int sizeHint)
    {
        if (_write.Length - WriteLength < sizeHint)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_write.Length * 2, WriteLength + sizeHint));
            _write.AsSpan(0, WriteLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_write);
            _write = bigger;
        }

        return _write.AsSpan(WriteLength);
    }

    public void Advance(int count) => WriteLength += count;

    public void ResetWrite() => WriteLength = 0;

    /// <summary>Room left in the write buffer before it would grow (a body larger than this is flushed in pieces).</summary>
    public int WriteRoom => _write.Length - WriteLength;

    /// <summary>Sends what was written; a failed send comes out as SocketsHttpHandler reports it (<see cref="WriteError"/>).</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => SendAsync(TakeWritten(), cancellationToken);

    /// <summary>
    /// Sends what was written, as <see cref="FlushAsync"/>, but its errors come out as they are (map them with
    /// <see cref="IsWriteFault"/> and <see cref="WriteError"/>). On the epoll transport this is the socket's own
    /// operation: a send asked for while a loop handles events completes at the end of its batch, so it always waits, and
    /// an async layer of ours around it would box its state machine on every request.
    /// </summary>
    public ValueTask<int> SendWrittenAsync(CancellationToken cancellationToken) => SendRawAsync(TakeWritten(), cancellationToken);

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await SendRawAsync(data, cancellationToken);
        }
        catch (Exception e) when (IsWriteFault(e))
        {
            throw WriteError(e);
        }
    }

    /// <summary>Whether a send failed in the transport (reported as <see cref="WriteError"/>), not by cancellation.</summary>
    public static bool IsWriteFault(Exception e) => e is SocketException or ObjectDisposedException;

    /// <summary>A failed send as SocketsHttpHandler reports it.</summary>
    public static IOException WriteError(Exception e) => e is SocketException
        ? new IOException($"Unable to write data to the transport connection: {e.Message}.", e)
        : new IOException("Unable to write data to the transport connection: the connection was closed.", e);

    private ReadOnlyMemory<byte> TakeWritten()
    {
        var pending = _write.AsMemory(0, WriteLength);
        WriteLength = 0;
        return pending;
    }

    /// <summary>All of <paramref name="data"/>, on whichever transport the connection has; errors as they are.</summary>
    private ValueTask<int> SendRawAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        return _epoll?.SendAsync(data, cancellationToken) ?? SendAllAsync(_socket, data, cancellationToken);

        static async ValueTask<int> SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            var total = data.Length;
            while (!data.IsEmpty)
            {
                data = data[await socket.SendAsync(data, SocketFlags.None, cancellationToken)..];
            }

            return total;
        }
    }

    // ---- read side ----

    /// <summary>Received bytes not consumed yet.</summary>
    public ReadOnlySpan<byte> Buffered => _read.AsSpan(_readStart, _readEnd - _readStart);

    public int BufferedCount => _readEnd - _readStart;

    public void Consume(int count)
    {
        _readStart += count;
        if (_readStart == _readEnd)
        {
            _readStart = _readEnd = 0;
        }
    }

    /// <summary>
    /// Free space after the buffered bytes, compacting or growing the buffer (up to <paramref name="limit"/> bytes
    /// buffered); empty when the limit is reached. Receive into it with <see cref="ReceiveAsync"/>, then <see cref="Commit"/>.
    /// </summary>
    public Memory<byte> ReadSpace(int limit)
    {
        if (_readEnd == _read.Length)
        {
            var buffered = _readEnd - _readStart;
            if (_readStart > 0)
            {
                _read.AsSpan(_readStart, buffered).CopyTo(_read);
            }
            else if (_read.Length < limit)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_read.Length * 2, limit));
                _read.AsSpan(0, buffered).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_read);
                _read = bigger;
            }
            else
            {
                return Memory<byte>.Empty;
            }

            _readStart = 0;
            _readEnd = buffered;
        }

        return _read.AsMemory(_readEnd);
    }

    /// <summary>Counts bytes received into <see cref="ReadSpace"/> as buffered.</summary>
    public void Commit(int received)
    {
        _readEnd += received;
        if (received > 0)
        {
            ReceivedAny = true;
        }
    }

    /// <summary>
    /// The socket's own receive, not wrapped in an async method of ours: the socket's ValueTask completes without
    /// allocating, an extra async layer would allocate its state machine every time the receive waits. Socket errors
    /// come out as SocketException (see <see cref="TransportError"/>).
    /// </summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        _epoll?.ReceiveAsync(destination, cancellationToken) ?? _socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken);

    /// <summary>Body bytes: buffered ones first, then straight from the socket into the caller's memory.</summary>
    public ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var buffered = _readEnd - _readStart;
        if (buffered > 0)
        {
            var count = Math.Min(buffered, destination.Length);
            _read.AsSpan(_readStart, count).CopyTo(destination.Span);
            Consume(count);
            return new ValueTask<int>(count);
        }

        return ReceiveAsync(destination, cancellationToken);
    }

    /// <summary>A socket failure as NetworkStream reports it (IOException around the SocketException); other exceptions as they are.</summary>
    public static Exception TransportError(Exception e) => e switch
    {
        SocketException s => new IOException($"Unable to read data from the transport connection: {s.Message}.", s),
        ObjectDisposedException d => new IOException("Unable to read data from the transport connection: the connection was closed.", d),
        _ => e,
    };

    /// <summary>
    /// Whether an idle connection can take a request: nothing may be readable on it (readable with nothing expected
    /// means the peer closed it or sent garbage). SocketsHttpHandler checks the same before reusing a connection.
    /// </summary>
    public bool IsUsable()
    {
        try
        {
            // On the loops an input edge while idle says the same without a poll() per reuse.
            return !IsDisposed && _readEnd == _readStart && !(_epoll?.HasInput ?? _socket.Poll(0, SelectMode.SelectRead));
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Pool.Forget(this);

        if (_epoll is not null)
        {
            _epoll.Dispose();
        }
        else
        {
            _socket.Dispose();
        }

        // The buffers are not returned to the pool: a read or write still in flight (the reason for this dispose)
        // may complete into them.
    }
}
