using System.Buffers.Text;

namespace Gateway.Upstream;

/// <summary>
/// Where the request content writes its body: appended to the connection's write buffer after the head (so a small
/// request is one send) and flushed when the buffer is full; chunk-framed when the length is unknown.
/// </summary>
internal sealed class RequestBodyStream(LeanConnection connection, RequestHead.Framing framing) : Stream
{
    /// <summary>Bodies are buffered up to this much before a send.</summary>
    private const int FlushThreshold = 16 * 1024;

    private long _written;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        _written += buffer.Length;
        if (!framing.Chunked && _written > framing.ContentLength)
        {
            throw new HttpRequestException($"Sent {_written} request content bytes, but Content-Length promised {framing.ContentLength}.");
        }

        if (framing.Chunked)
        {
            var span = connection.GetWriteSpan(20);
            Utf8Formatter.TryFormat(buffer.Length, span, out var written, new System.Buffers.StandardFormat('X'));
            "\r\n"u8.CopyTo(span[written..]);
            connection.Advance(written + 2);
        }

        if (connection.WriteLength + buffer.Length <= FlushThreshold)
        {
            buffer.Span.CopyTo(connection.GetWriteSpan(buffer.Length));
            connection.Advance(buffer.Length);
        }
        else
        {
            await connection.FlushAsync(cancellationToken);
            await connection.SendAsync(buffer, cancellationToken);
        }

        if (framing.Chunked)
        {
            "\r\n"u8.CopyTo(connection.GetWriteSpan(2));
            connection.Advance(2);
        }

        if (connection.WriteLength >= FlushThreshold)
        {
            await connection.FlushAsync(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <summary>The last chunk (chunked) or the length check, then whatever is still buffered goes out.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (framing.Chunked)
        {
            "0\r\n\r\n"u8.CopyTo(connection.GetWriteSpan(5));
            connection.Advance(5);
        }
        else if (_written != framing.ContentLength)
        {
            throw new HttpRequestException($"Sent {_written} request content bytes, but Content-Length promised {framing.ContentLength}.");
        }

        await connection.FlushAsync(cancellationToken);
    }

    // A flush from the content (YARP flushes a streamed body as it goes) sends what is buffered: a streaming client
    // must not wait for 16 KB to gather. YARP also flushes before the first body byte, to get the head out early for
    // HTTP/2; here that would split a small request in two sends, so the head waits for the body's first bytes.
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        connection.WriteLength == 0 || _written == 0 ? Task.CompletedTask : connection.FlushAsync(cancellationToken).AsTask();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
