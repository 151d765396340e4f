namespace Gateway.Upstream;

/// <summary>A body without length or chunking: it ends when the destination closes the connection (never reused).</summary>
internal sealed class UntilCloseBodyStream(LeanConnection connection) : ResponseBodyStream(connection, keepAlive: false)
{
    protected override async ValueTask<int> ReadBodyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var read = await Connection.ReadAsync(buffer, cancellationToken);
        if (read <= 0)
        {
            Finish();
            return 0;
        }

        return read;
    }

    protected override bool TryConsumeBufferedRest() => false;
}
