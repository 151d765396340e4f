namespace Gateway.Upstream;

/// <summary>A body of Content-Length bytes.</summary>
internal sealed class ContentLengthBodyStream(LeanConnection connection, bool keepAlive, long length) : ResponseBodyStream(connection, keepAlive)
{
    private long _remaining = length;

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<int> ReadBodyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_remaining == 0)
        {
            Finish();
            return 0;
        }

        if (buffer.IsEmpty)
        {
            return 0;
        }

        var read = await Connection.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken);
        if (read <= 0)
        {
            throw Premature();
        }

        _remaining -= read;
        if (_remaining == 0)
        {
            Finish(); // free the connection now, not at the caller's next read
        }

        return read;
    }

    protected override bool TryConsumeBufferedRest()
    {
        if (Connection.BufferedCount < _remaining)
        {
            return false;
        }

        Connection.Consume((int)_remaining);
        _remaining = 0;
        return true;
    }
}
