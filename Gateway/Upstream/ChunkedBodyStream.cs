using System.Runtime.CompilerServices;
using System.Text;

namespace Gateway.Upstream;

/// <summary>
/// A chunked body (RFC 9112 section 7.1): size lines (hex, extensions ignored), data, and trailer fields at the end,
/// which go to the response's TrailingHeaders as SocketsHttpHandler puts them.
/// </summary>
internal sealed class ChunkedBodyStream(LeanConnection connection, bool keepAlive, HttpResponseMessage? response) : ResponseBodyStream(connection, keepAlive)
{
    /// <summary>A size line or trailer line longer than this is not a chunked body.</summary>
    private const int MaxLineLength = 16 * 1024;

    /// <summary>SocketsHttpHandler's default response header limit, applied to trailers too.</summary>
    private const int MaxTrailerBytes = 64 * 1024;

    private long _chunkRemaining;
    private State _state;
    private int _trailerBytes;

    private enum State
    {
        Size,
        Data,
        DataEnd,
        Trailers,
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<int> ReadBodyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_state == State.Data)
            {
                if (buffer.IsEmpty)
                {
                    return 0;
                }

                var read = await Connection.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _chunkRemaining)], cancellationToken);
                if (read <= 0)
                {
                    throw Premature();
                }

                _chunkRemaining -= read;
                if (_chunkRemaining == 0)
                {
                    _state = State.DataEnd;
                }

                return read;
            }

            if (TryStep())
            {
                if (Done)
                {
                    return 0;
                }

                continue;
            }

            if (Connection.BufferedCount >= MaxLineLength)
            {
                throw new HttpIOException(HttpRequestError.InvalidResponse, "A chunk header or trailer line exceeded the limit.");
            }

            var space = Connection.ReadSpace(MaxLineLength + 2);
            var received = space.IsEmpty ? 0 : await Connection.ReceiveAsync(space, cancellationToken);
            if (received <= 0)
            {
                throw Premature();
            }

            Connection.Commit(received);
        }
    }

    /// <summary>Consumes one buffered line (size, data end or trailer); false when no whole line is buffered.</summary>
    private bool TryStep()
    {
        var buffered = Connection.Buffered;
        var lf = buffered.IndexOf((byte)'\n');
        if (lf < 0)
        {
            return false;
        }

        var line = lf > 0 && buffered[lf - 1] == '\r' ? buffered[..(lf - 1)] : buffered[..lf];
        switch (_state)
        {
            case State.Size:
                _chunkRemaining = ParseSize(line);
                _state = _chunkRemaining == 0 ? State.Trailers : State.Data;
                break;
            case State.DataEnd:
                if (!line.IsEmpty)
                {
                    throw new HttpIOException(HttpRequestError.InvalidResponse, "Received an invalid chunk terminator.");
                }

                _state = State.Size;
                break;
            case State.Trailers:
                _trailerBytes += lf + 1;
                if (_trailerBytes > MaxTrailerBytes)
                {
                    throw new HttpIOException(HttpRequestError.ConfigurationLimitExceeded, "The HTTP response headers length exceeded the set limit of 65536 bytes.");
                }

                if (line.IsEmpty)
                {
                    Connection.Consume(lf + 1);
                    Finish();
                    return true;
                }

                AddTrailer(line);
                break;
        }

        Connection.Consume(lf + 1);
        return true;
    }

    private static long ParseSize(ReadOnlySpan<byte> line)
    {
        var end = line.IndexOfAny(";\t "u8);
        var digits = end < 0 ? line : line[..end];
        long size = 0;
        foreach (var b in digits)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0 || size > (long.MaxValue >> 4))
            {
                size = -1;
                break;
            }

            size = (size << 4) | (uint)digit;
        }

        if (digits.IsEmpty || size < 0)
        {
            throw new HttpIOException(HttpRequestError.InvalidResponse,
                $"Received chunk header length could not be parsed: '{Encoding.Latin1.GetString(line)}'.");
        }

        return size;
    }

    private void AddTrailer(ReadOnlySpan<byte> line)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            throw new HttpIOException(HttpRequestError.InvalidResponse, $"Received an invalid header line: '{Encoding.Latin1.GetString(line)}'.");
        }

        response?.TrailingHeaders.TryAddWithoutValidation(Encoding.Latin1.GetString(line[..colon]), Encoding.Latin1.GetString(line[(colon + 1)..].Trim(" \t"u8)));
    }

    protected override bool TryConsumeBufferedRest()
    {
        while (!Done)
        {
            if (_state == State.Data)
            {
                var take = (int)Math.Min(_chunkRemaining, Connection.BufferedCount);
                if (take == 0)
                {
                    return false;
                }

                Connection.Consume(take);
                _chunkRemaining -= take;
                if (_chunkRemaining == 0)
                {
                    _state = State.DataEnd;
                }

                continue;
            }

            try
            {
                if (!TryStep())
                {
                    return false;
                }
            }
            catch (HttpIOException)
            {
                return false;
            }

            if (Done)
            {
                return true; // Finish already returned the connection
            }
        }

        return true;
    }
}
