using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Transport;

/// <summary>
/// A Kestrel connection on an <see cref="EpollSocket"/>: what Kestrel's socket transport does (two pipes, a receive loop
/// and a send loop, the same shutdown and error shapes), with every step run on the socket's loop thread: the request
/// is parsed and proxied in the receive edge's callback, the response sent in the flush that completes it.
/// </summary>
internal sealed class EpollConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature, IConnectionSocketFeature
{
    /// <summary>Kestrel's socket transport asks for at least half a block per receive.</summary>
    private const int MinReceiveSize = 2048;

    private static long s_lastId = DateTime.UtcNow.Ticks;

    private readonly EpollSocket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _closedFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _shutdownLock = new();
    private readonly ConnectionFeatures _features = new();
    private Task _processing = Task.CompletedTask;
    private volatile Exception? _shutdownReason;
    private bool _shutDown;
    private string? _connectionId;
    private IDictionary<object, object?>? _items;

    public EpollConnection(EpollSocket socket, MemoryPool<byte> pool, long maxReadBufferSize, long maxWriteBufferSize)
    {
        _socket = socket;
        MemoryPool = pool;
        LocalEndPoint = socket.Socket.LocalEndPoint;
        RemoteEndPoint = socket.Socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;
        // Everything inline: the loop thread that received the bytes runs Kestrel on them, and Kestrel's flush sends.
        _input = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, maxReadBufferSize, maxReadBufferSize / 2, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, maxWriteBufferSize, maxWriteBufferSize / 2, useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);

        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
        _features.Set<IConnectionSocketFeature>(this);
    }

    public override string ConnectionId
    {
        get => _connectionId ??= NextId();
        set => _connectionId = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Microsoft.AspNetCore.Connections.ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    public Socket Socket => _socket.Socket;

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public void Start() => _processing = RunAsync();

    private async Task RunAsync()
    {
        var receiving = ReceiveLoopAsync();
        var sending = SendLoopAsync();
        await receiving;
        await sending;
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown(abortReason);
        _output.Reader.CancelPendingRead(); // ends the send loop with this reason
    }

    /// <summary>Kestrel calls this after its connection middleware finished (ConnectionClosed has fired by then).</summary>
    public override async ValueTask DisposeAsync()
    {
        await Transport.Input.CompleteAsync();
        await Transport.Output.CompleteAsync();
        await _processing;
        _closed.Dispose();
        await base.DisposeAsync();
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var input = _input.Writer;
        try
        {
            while (true)
            {
                // Wait for bytes before taking a buffer (idle keep-alive connections hold none), without a system call.
                await _socket.ReceiveAsync(Memory<byte>.Empty);
                var buffer = input.GetMemory(MinReceiveSize);
                var received = await _socket.ReceiveAsync(buffer);
                if (received == 0)
                {
                    break; // FIN
                }

                input.Advance(received);
                var flushed = await input.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException e) when (IsReset(e))
        {
            error = new ConnectionResetException(e.Message, e);
        }
        catch (Exception e)
        {
            error = e; // OperationAborted after a shutdown: the shutdown reason wins below
        }
        finally
        {
            await input.CompleteAsync(_shutdownReason ?? error);
            FireConnectionClosed();
            await _closedFired.Task;
        }
    }

    private async Task SendLoopAsync()
    {
        Exception? shutdownReason = null;
        Exception? unexpected = null;
        var output = _output.Reader;
        try
        {
            while (true)
            {
                var result = await output.ReadAsync();
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _socket.SendAsync(buffer);
                }

                output.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException e) when (IsReset(e))
        {
            shutdownReason = new ConnectionResetException(e.Message, e);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted)
        {
            shutdownReason = e; // Abort shut the socket down first
        }
        catch (Exception e)
        {
            shutdownReason = e;
            unexpected = e;
        }
        finally
        {
            Shutdown(shutdownReason);
            await output.CompleteAsync(unexpected);
            _input.Writer.CancelPendingFlush(); // a receive loop paused on a full input pipe goes on to see the end
        }
    }

    /// <summary>As Kestrel's socket transport: shut down both ways even for an abort (a FIN, not a reset), then close.</summary>
    private void Shutdown(Exception? reason)
    {
        lock (_shutdownLock)
        {
            if (_shutDown)
            {
                return;
            }

            _shutDown = true;
            _shutdownReason = reason ?? new ConnectionAbortedException("The epoll transport's send loop completed gracefully.");
            try
            {
                _socket.Socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // already gone: closing is all that is left
            }
            catch (ObjectDisposedException)
            {
            }

            _socket.Dispose();
        }
    }

    /// <summary>The peer reset the connection (EPIPE on a send reads as Shutdown), as Kestrel's transport counts it.</summary>
    private static bool IsReset(SocketException e) => e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown;

    /// <summary>Once, when the receive loop ends.</summary>
    private void FireConnectionClosed()
    {
        // On the thread pool, as Kestrel's transport does: ConnectionClosed callbacks are user code, not the loop's.
        ThreadPool.UnsafeQueueUserWorkItem(static connection =>
        {
            connection._closed.Cancel();
            connection._closedFired.TrySetResult();
        }, this, preferLocal: false);
    }

    private static string NextId()
    {
        // 13 base-32 characters of a process-wide counter, as Kestrel's connection ids look.
        const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
        var id = Interlocked.Increment(ref s_lastId);
        return string.Create(13, id, static (span, value) =>
        {
            for (var i = 12; i >= 0; i--)
            {
                span[i] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }
}
