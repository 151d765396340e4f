using System.Runtime.CompilerServices;

namespace Gateway.Upstream;

/// <summary>
/// A response body read from a lean connection. At the body's end the connection goes back to its pool (when the
/// response allows keep-alive); a body abandoned early closes the connection, unless what is left of it is already
/// buffered. Errors are what SocketsHttpHandler's body streams throw: IOException (HttpIOException for a body that
/// ends early or is malformed), OperationCanceledException on cancellation.
/// </summary>
internal abstract class ResponseBodyStream(LeanConnection connection, bool keepAlive) : Stream
{
    private LeanConnection? _connection = connection;

    protected LeanConnection Connection => _connection ?? throw new ObjectDisposedException(GetType().Name);

    protected bool Done => _connection is null;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Reads body bytes; 0 at the end of the body (it has then called <see cref="Finish"/>).</summary>
    protected abstract ValueTask<int> ReadBodyAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Consumes the rest of the body if it is all buffered already; true when it did.</summary>
    protected abstract bool TryConsumeBufferedRest();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_connection is null)
        {
            return 0;
        }

        try
        {
            var read = await ReadBodyAsync(buffer, cancellationToken);
            _connection?.Active(); // still ours: Finish lets go of it before the pool can hand it to another try
            return read;
        }
        catch (Exception e)
        {
            Abort();
            var mapped = LeanConnection.TransportError(e);
            if (mapped == e)
            {
                throw;
            }

            throw mapped;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The try made progress: its connection's activity deadline moves on (while the body still holds it).</summary>
    public void Active() => _connection?.Active();

    /// <summary>The body is complete: the connection is free for the next request, or closed when the response said so.</summary>
    protected void Finish()
    {
        var connection = Interlocked.Exchange(ref _connection, null);
        if (connection is null)
        {
            return;
        }

        if (keepAlive && connection.BufferedCount == 0)
        {
            connection.Pool.Return(connection);
        }
        else
        {
            connection.Dispose(); // close, or bytes after the response that nothing asked for
        }
    }

    private void Abort() => Interlocked.Exchange(ref _connection, null)?.Dispose();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _connection is not null)
        {
            // A response dropped unread (the retry transform holds back a 503's body): keep the connection when the
            // rest is already here, as SocketsHttpHandler drains small remainders.
            if (TryConsumeBufferedRest())
            {
                Finish();
            }
            else
            {
                Abort();
            }
        }

        base.Dispose(disposing);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected static HttpIOException Premature() => new(HttpRequestError.ResponseEnded, "The response ended prematurely.");
}
