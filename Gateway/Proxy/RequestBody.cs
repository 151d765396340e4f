using System.Buffers;

namespace Gateway.Proxy;

/// <summary>
/// The client's request body as the forwarder reads it. It knows whether the client delivered all of it (a client
/// that stalls or stops mid-body is the client's failure, not the destination's), and, where a retry may send the
/// body again, keeps what was read in pooled memory up to a limit (Envoy's retry buffer). Past the limit it stops
/// keeping and the request can no longer be retried once any of it was sent: large uploads stream, nothing spools
/// to disk.
/// </summary>
internal sealed class RequestBody(Stream inner, long? contentLength, int replayLimit) : Stream
{
    private byte[]? _kept;
    private int _keptLength;
    private int _replayAt = -1; // >= 0 while a retry is being served from what was kept
    private long _consumed;
    private bool _overLimit;

    /// <summary>Whether the client delivered the whole body (end of stream, or Content-Length bytes).</summary>
    public bool Delivered { get; private set; }

    /// <summary>Whether another try may send the body: nothing was read yet, or all that was read was kept.</summary>
    public bool CanReplay => _consumed == 0 || (replayLimit > 0 && !_overLimit);

    /// <summary>Starts the body again from its first byte for the next try; false when it cannot (see <see cref="CanReplay"/>).</summary>
    public bool Rewind()
    {
        if (!CanReplay)
        {
            return false;
        }

        _replayAt = _consumed == 0 ? -1 : 0;
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            // A zero-byte read (the forwarder's way to wait for data without holding a buffer) is not the end of the body.
            return _replayAt >= 0 && _replayAt < _keptLength ? 0 : await inner.ReadAsync(buffer, cancellationToken);
        }

        if (_replayAt >= 0)
        {
            var n = Math.Min(buffer.Length, _keptLength - _replayAt);
            if (n > 0)
            {
                _kept.AsSpan(_replayAt, n).CopyTo(buffer.Span);
                _replayAt += n;
                return n;
            }

            _replayAt = -1; // all kept bytes served: read on from the client
            if (Delivered)
            {
                return 0;
            }
        }

        var read = await inner.ReadAsync(buffer, cancellationToken);
        Consumed(buffer.Span[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Consumed(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            Delivered = true;
            return;
        }

        _consumed += data.Length;
        if (_consumed == contentLength)
        {
            Delivered = true;
        }

        if (replayLimit <= 0 || _overLimit)
        {
            return;
        }

        if (_keptLength + data.Length > replayLimit)
        {
            _overLimit = true;
            Release();
            return;
        }

        if (_kept is null || _kept.Length < _keptLength + data.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(replayLimit, Math.Max(4096, (_keptLength + data.Length) * 2)));
            _kept?.AsSpan(0, _keptLength).CopyTo(larger);
            Release();
            _kept = larger;
        }

        data.CopyTo(_kept.AsSpan(_keptLength));
        _keptLength += data.Length;
    }

    private void Release()
    {
        if (_kept is { } kept)
        {
            _kept = null;
            ArrayPool<byte>.Shared.Return(kept);
        }
    }

    /// <summary>
    /// Gives the kept bytes back to the pool once no try will read the body again. Not Dispose: the forwarder disposes
    /// the body with each try's request message, and a retry must still read it (Stream's Dispose does nothing here).
    /// </summary>
    public void Finish()
    {
        Release();
        _keptLength = 0;
        _overLimit = true;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
