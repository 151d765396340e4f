using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Transport;

/// <summary>
/// A non-blocking socket in one <see cref="EpollLoop"/>'s edge-triggered set, with one receive and one send at a time.
/// A receive makes a system call only when an input edge came since the last short read: waiting for a response or the
/// next request costs none (.NET's sockets try every receive first and get EAGAIN; Kestrel adds a 1-byte peek). A send is
/// tried at once and waits for an output edge only when the kernel's buffer is full. An empty receive buffer means
/// "wait until readable" (a zero-byte read without the system call). Errors are SocketExceptions, as Socket's.
/// </summary>
internal sealed unsafe class EpollSocket : IDisposable
{
    private const int WouldBlock = -1;
    private const int Failed = -2;
    private const int MaxVectors = 16;

    private readonly Lock _lock = new();
    private readonly EpollLoop _loop;
    private readonly EpollOperation _receive;
    private readonly EpollOperation _send;
    private readonly MemoryHandle[] _pins = new MemoryHandle[MaxVectors];
    private int _inEdges;
    private int _inDrained; // _inEdges as it was before the last receive that found the socket empty
    private int _outEdges;
    private bool _endOfStream;
    private volatile bool _hangUp; // the peer closed its side (or the socket failed): no edge will follow the last bytes
    private bool _disposed;

    public EpollSocket(Socket socket, EpollLoop loop)
    {
        Socket = socket;
        if (socket.Blocking)
        {
            socket.Blocking = false; // accepted sockets; the connector's are non-blocking already (the getter makes no call)
        }

        _loop = loop;
        _receive = new EpollOperation(this);
        _send = new EpollOperation(this);
        // The token first: the loop may deliver the first edge (bytes already waiting) before Add returns.
        Token = loop.Reserve(this);
        loop.Add(socket.SafeHandle.DangerousGetHandle(), Token);
    }

    public Socket Socket { get; }

    /// <summary>The loop whose thread handles this socket's events (and so runs what awaits its receives).</summary>
    public EpollLoop Loop => _loop;

    /// <summary>What this socket's events carry in the loop (slot and generation).</summary>
    public ulong Token { get; }

    /// <summary>
    /// Whether anything arrived (data, end of stream, an error) since the last receive found the socket empty. An idle
    /// keep-alive connection with input is one the peer closed or broke: this replaces a poll() before each reuse.
    /// </summary>
    public bool HasInput => _endOfStream || _hangUp || Volatile.Read(ref _inEdges) != _inDrained;

    // ---- receive ----

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var received = ReceiveOrWait(buffer, armed: false, cancellationToken, out var error);
        return received >= 0 ? new ValueTask<int>(received)
            : error is not null ? ValueTask.FromException<int>(error)
            : _receive.Await();
    }

    /// <summary>
    /// The receive, for the caller (<paramref name="armed"/> false: arms <see cref="_receive"/> when it has to wait) and
    /// for the loop thread that took the armed operation on an edge (true: makes it wait again). Bytes received,
    /// <see cref="WouldBlock"/> when it waits, or <see cref="Failed"/> with <paramref name="error"/>.
    /// </summary>
    private int ReceiveOrWait(Memory<byte> buffer, bool armed, CancellationToken cancellationToken, out Exception? error)
    {
        error = null;
        while (true)
        {
            var errno = 0;
            var received = TryReceive(buffer, ref errno);
            if (received >= 0)
            {
                return received;
            }

            if (received == Failed)
            {
                error = new SocketException((int)EpollNative.ToSocketError(errno));
                return Failed;
            }

            lock (_lock)
            {
                // Also when re-waiting: a cancellation that fired while the loop held the operation found nothing to take.
                error = CannotWait(cancellationToken);
                if (error is not null)
                {
                    return Failed;
                }

                if (Volatile.Read(ref _inEdges) != _inDrained)
                {
                    continue; // an edge came while we looked
                }

                if (armed)
                {
                    _receive.Repend();
                }
                else
                {
                    _receive.ArmReceive(buffer, cancellationToken);
                }

                return WouldBlock;
            }
        }
    }

    /// <summary>Bytes received (0: end of stream, or readable for an empty buffer), <see cref="WouldBlock"/> or <see cref="Failed"/>.</summary>
    private int TryReceive(Memory<byte> buffer, ref int errno)
    {
        while (true)
        {
            if (_endOfStream)
            {
                return 0;
            }

            var edges = Volatile.Read(ref _inEdges);
            if (edges == _inDrained)
            {
                return WouldBlock;
            }

            if (buffer.IsEmpty)
            {
                return 0;
            }

            nint received;
            var added = false;
            try
            {
                Socket.SafeHandle.DangerousAddRef(ref added);
                fixed (byte* p = buffer.Span)
                {
                    received = EpollNative.Receive(Socket.SafeHandle.DangerousGetHandle(), p, (nuint)buffer.Length, 0);
                }

                if (received < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                }
            }
            catch (ObjectDisposedException)
            {
                errno = 9; // EBADF: disposed
                return Failed;
            }
            finally
            {
                if (added)
                {
                    Socket.SafeHandle.DangerousRelease();
                }
            }

            if (received > 0)
            {
                if (received < buffer.Length && !_hangUp)
                {
                    // A short read emptied the socket: wait for the next edge. Not after a hang-up: the end of stream
                    // (bytes and FIN in one edge) is still to be read, and no edge will announce it again.
                    _inDrained = edges;
                }

                return (int)received;
            }

            if (received == 0)
            {
                _endOfStream = true;
                return 0;
            }

            if (errno == EpollNative.EAgain)
            {
                _inDrained = edges;
            }
            else if (errno != EpollNative.EIntr)
            {
                return Failed;
            }
        }
    }

    // ---- send ----

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        SendAsync(new ReadOnlySequence<byte>(data), cancellationToken);

    /// <summary>Sends all of <paramref name="data"/>; completes with its length once the kernel took the last byte.</summary>
    public ValueTask<int> SendAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        if (!data.IsEmpty && EpollLoop.Dispatching is { } loop)
        {
            // Asked for while a loop handles a batch of events: sent at the end of the batch (EpollLoop.DeferSend).
            lock (_lock)
            {
                if (CannotWait(cancellationToken) is { } refused)
                {
                    return ValueTask.FromException<int>(refused);
                }

                _send.ArmSend(data, 0, cancellationToken);
            }

            loop.DeferSend(this);
            return _send.Await();
        }

        var total = (int)data.Length;
        var sent = 0;
        var result = SendOrWait(ref data, ref sent, armed: false, cancellationToken, out var error);
        return result >= 0 ? new ValueTask<int>(total)
            : error is not null ? ValueTask.FromException<int>(error)
            : _send.Await();
    }

    /// <summary>
    /// Sends until all of <paramref name="data"/> went (0) or the kernel's buffer is full: then, as
    /// <see cref="ReceiveOrWait"/>, arms <see cref="_send"/> with what is left (caller) or makes it wait again (loop),
    /// and returns <see cref="WouldBlock"/>; <see cref="Failed"/> with <paramref name="error"/>.
    /// </summary>
    private int SendOrWait(ref ReadOnlySequence<byte> data, ref int sent, bool armed, CancellationToken cancellationToken, out Exception? error)
    {
        error = null;
        while (true)
        {
            var edges = Volatile.Read(ref _outEdges);
            var errno = 0;
            var result = TrySend(ref data, ref errno);
            if (result >= 0)
            {
                sent += result;
                if (data.IsEmpty)
                {
                    return 0;
                }

                continue; // part went: try the rest (EAGAIN then tells us the buffer is full)
            }

            if (result == Failed)
            {
                error = new SocketException((int)EpollNative.ToSocketError(errno));
                return Failed;
            }

            lock (_lock)
            {
                // Also when re-waiting: a cancellation that fired while the loop held the operation found nothing to take.
                error = CannotWait(cancellationToken);
                if (error is not null)
                {
                    return Failed;
                }

                if (Volatile.Read(ref _outEdges) != edges)
                {
                    continue; // room was made while we looked
                }

                if (armed)
                {
                    _send.Data = data;
                    _send.Sent = sent;
                    _send.Repend();
                }
                else
                {
                    _send.ArmSend(data, sent, cancellationToken);
                }

                return WouldBlock;
            }
        }
    }

    /// <summary>Waits for the first output edge (a non-blocking connect has finished, one way or the other).</summary>
    public ValueTask<int> WaitWritableAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_outEdges != 0 || _disposed)
            {
                return new ValueTask<int>(0); // disposed: the caller's check of the connect result fails
            }

            if (CannotWait(cancellationToken) is { } refused)
            {
                return ValueTask.FromException<int>(refused);
            }

            _send.ArmSend(ReadOnlySequence<byte>.Empty, 0, cancellationToken);
        }

        return _send.Await();
    }

    /// <summary>Bytes sent by one system call (the data is sliced past them), <see cref="WouldBlock"/> or <see cref="Failed"/>.</summary>
    private int TrySend(ref ReadOnlySequence<byte> data, ref int errno)
    {
        while (true)
        {
            nint sent;
            var added = false;
            try
            {
                Socket.SafeHandle.DangerousAddRef(ref added);
                var fd = Socket.SafeHandle.DangerousGetHandle();
                if (data.IsSingleSegment)
                {
                    var span = data.FirstSpan;
                    fixed (byte* p = span)
                    {
                        sent = EpollNative.Send(fd, p, (nuint)span.Length, EpollNative.MsgNoSignal);
                    }
                }
                else
                {
                    sent = SendVectors(fd, data);
                }

                if (sent < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                }
            }
            catch (ObjectDisposedException)
            {
                errno = 9;
                return Failed;
            }
            finally
            {
                if (added)
                {
                    Socket.SafeHandle.DangerousRelease();
                }
            }

            if (sent >= 0)
            {
                data = data.Slice(sent);
                return (int)sent;
            }

            if (errno == EpollNative.EAgain)
            {
                return WouldBlock;
            }

            if (errno != EpollNative.EIntr)
            {
                return Failed;
            }
        }
    }

    private nint SendVectors(nint fd, ReadOnlySequence<byte> data)
    {
        var vectors = stackalloc EpollNative.IoVector[MaxVectors];
        var count = 0;
        try
        {
            foreach (var segment in data)
            {
                if (segment.IsEmpty)
                {
                    continue;
                }

                _pins[count] = segment.Pin();
                vectors[count] = new EpollNative.IoVector { Base = (byte*)_pins[count].Pointer, Length = (nuint)segment.Length };
                if (++count == MaxVectors)
                {
                    break;
                }
            }

            var message = new EpollNative.MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
            return EpollNative.SendMessage(fd, &message, EpollNative.MsgNoSignal);
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                _pins[i].Dispose();
                _pins[i] = default;
            }
        }
    }

    // ---- the loop's side ----

    /// <summary>On the loop thread: an edge. The waiting operation, if any, does its system call now.</summary>
    public void OnEvents(uint events)
    {
        var input = (events & (EpollNative.EpollIn | EpollNative.EpollRdHup | EpollNative.EpollHup | EpollNative.EpollErr)) != 0;
        var output = (events & (EpollNative.EpollOut | EpollNative.EpollHup | EpollNative.EpollErr)) != 0;
        bool receive = false, send = false;
        if ((events & (EpollNative.EpollRdHup | EpollNative.EpollHup | EpollNative.EpollErr)) != 0)
        {
            _hangUp = true;
        }

        lock (_lock)
        {
            if (input)
            {
                _inEdges++;
                if (_receive.Pending)
                {
                    _receive.Take();
                    receive = true;
                }
            }

            if (output)
            {
                _outEdges++;
                if (_send.Pending)
                {
                    _send.Take();
                    send = true;
                }
            }
        }

        if (receive)
        {
            ContinueReceive();
        }

        if (send)
        {
            ContinueSend();
        }
    }

    private void ContinueReceive()
    {
        var op = _receive;
        var received = ReceiveOrWait(op.Buffer, armed: true, op.Token, out var error);
        if (received >= 0)
        {
            op.Complete(received);
        }
        else if (error is not null)
        {
            op.Fail(error);
        }
    }

    /// <summary>On the loop thread, at the end of a batch: the deferred send, unless an output edge, a cancellation or a dispose took it first.</summary>
    public void SendDeferred()
    {
        lock (_lock)
        {
            if (!_send.Pending)
            {
                return;
            }

            _send.Take();
        }

        ContinueSend();
    }

    private void ContinueSend()
    {
        var op = _send;
        var data = op.Data;
        var sent = op.Sent;
        if (data.IsEmpty)
        {
            op.Complete(0); // a wait for writability
            return;
        }

        var result = SendOrWait(ref data, ref sent, armed: true, op.Token, out var error);
        if (result >= 0)
        {
            op.Complete(sent);
        }
        else if (error is not null)
        {
            op.Fail(error);
        }
    }

    /// <summary>A cancellation callback: takes the operation if it is still waiting with that token.</summary>
    public bool TryTakePending(EpollOperation op, CancellationToken token)
    {
        lock (_lock)
        {
            if (!op.Pending || op.Token != token)
            {
                return false;
            }

            op.Take();
            return true;
        }
    }

    /// <summary>Keeps a cancellation registration with the operation while it waits; false when it no longer does.</summary>
    public bool TryAttach(EpollOperation op, CancellationTokenRegistration registration)
    {
        lock (_lock)
        {
            if (!op.Pending)
            {
                return false;
            }

            op.Attach(registration);
            return true;
        }
    }

    private static SocketException Aborted() => new((int)SocketError.OperationAborted);

    /// <summary>Under the lock: why an operation may not wait (closed, cancelled), or null when it may.</summary>
    private Exception? CannotWait(CancellationToken cancellationToken) =>
        _disposed ? Aborted()
        : cancellationToken.IsCancellationRequested ? new OperationCanceledException(cancellationToken)
        : null;

    /// <summary>Closes the socket; a waiting receive or send fails with OperationAborted, as Socket's do.</summary>
    public void Dispose()
    {
        bool receive = false, send = false;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_receive.Pending)
            {
                _receive.Take();
                receive = true;
            }

            if (_send.Pending)
            {
                _send.Take();
                send = true;
            }
        }

        _loop.Unregister(Token);
        Socket.Dispose();
        if (receive)
        {
            _receive.Fail(Aborted());
        }

        if (send)
        {
            _send.Fail(Aborted());
        }
    }
}
