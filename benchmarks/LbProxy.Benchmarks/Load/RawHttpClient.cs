using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Benchmarks.Load;

/// <summary>
/// A minimal HTTP/1.1 keep-alive client for load generation, as wrk does it: requests are pre-serialized bytes,
/// one request at a time per connection, and the response is read to its end (Content-Length or chunked) and
/// judged by its status code. It exists because HttpClient's per-request CPU (about a third of each request's
/// CPU in the worker benchmark, on the same two cores as the server) would otherwise be measured as the server's.
/// </summary>
public sealed class RawHttpClient : IDisposable
{
    private readonly EndPoint _endpoint;
    private readonly ConcurrentStack<Connection> _idle = new();

    public RawHttpClient(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _endpoint = new IPEndPoint(IPAddress.Parse(address.Host), address.Port);
        Host = address.Authority;
    }

    /// <summary>The Host header value for requests built for this client.</summary>
    public string Host { get; }

    /// <summary>Serializes a POST once; the bytes are then sent as they are for every request.</summary>
    public byte[] Post(string path, string contentType, ReadOnlySpan<byte> body)
    {
        var head = Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {Host}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n\r\n");
        return [.. head, .. body];
    }

    /// <summary>Sends one request on an idle connection (or a new one); true for a 2xx answer.</summary>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        if (!_idle.TryPop(out var connection))
        {
            connection = await Connection.OpenAsync(_endpoint, cancellationToken);
        }

        try
        {
            var status = await connection.ExchangeAsync(request, cancellationToken);
            _idle.Push(connection);
            return status is >= 200 and < 300;
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException)
        {
            // Not here: with inline socket completions this may run inside the socket's own completion, and closing
            // a socket waits for its operations to end.
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.Dispose(), connection, preferLocal: false);
            return false;
        }
    }

    public void Dispose()
    {
        while (_idle.TryPop(out var connection))
        {
            connection.Dispose();
        }
    }

    private sealed class Connection(Socket socket) : IDisposable
    {
        private byte[] _buffer = new byte[8192];
        private int _filled;

        public static async Task<Connection> OpenAsync(EndPoint endpoint, CancellationToken cancellationToken)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new Connection(socket);
        }

        public async Task<int> ExchangeAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            while (!request.IsEmpty)
            {
                var sent = await socket.SendAsync(request, SocketFlags.None, cancellationToken);
                request = request[sent..];
            }

            _filled = 0;
            int headerEnd;
            while ((headerEnd = _buffer.AsSpan(0, _filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                await ReceiveAsync(cancellationToken);
            }

            var (status, contentLength, chunked) = ParseHead(_buffer.AsSpan(0, headerEnd));
            var bodyStart = headerEnd + 4;
            if (chunked)
            {
                await ReadChunkedAsync(bodyStart, cancellationToken);
            }
            else
            {
                await EnsureAsync(bodyStart + contentLength, cancellationToken);
            }

            return status;
        }

        public void Dispose() => socket.Dispose();

        private static (int Status, int ContentLength, bool Chunked) ParseHead(ReadOnlySpan<byte> head)
        {
            // "HTTP/1.1 200 OK"
            if (head.Length < 12 || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
            {
                throw new InvalidDataException("not an HTTP/1.1 status line");
            }

            int contentLength = 0;
            var chunked = false;
            foreach (var range in head.Split("\r\n"u8))
            {
                var line = head[range];
                var colon = line.IndexOf((byte)':');
                if (colon < 0)
                {
                    continue;
                }

                var name = line[..colon];
                var value = line[(colon + 1)..].Trim((byte)' ');
                if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8) && !Utf8Parser.TryParse(value, out contentLength, out _))
                {
                    throw new InvalidDataException("bad Content-Length");
                }

                chunked |= Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) && Ascii.EqualsIgnoreCase(value, "chunked"u8);
            }

            return (status, contentLength, chunked);
        }

        private async Task ReadChunkedAsync(int position, CancellationToken cancellationToken)
        {
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(position, _filled - position).IndexOf("\r\n"u8)) < 0)
                {
                    await ReceiveAsync(cancellationToken);
                }

                var sizeLine = _buffer.AsSpan(position, lineEnd);
                var extension = sizeLine.IndexOf((byte)';');
                if (!Utf8Parser.TryParse(extension < 0 ? sizeLine : sizeLine[..extension], out int size, out _, 'x'))
                {
                    throw new InvalidDataException("bad chunk size");
                }

                position += lineEnd + 2 + size + 2; // size line, data, CRLF (after the last chunk: the final CRLF)
                await EnsureAsync(position, cancellationToken);
                if (size == 0)
                {
                    return;
                }
            }
        }

        private async Task EnsureAsync(int count, CancellationToken cancellationToken)
        {
            while (_filled < count)
            {
                await ReceiveAsync(cancellationToken);
            }
        }

        private async Task ReceiveAsync(CancellationToken cancellationToken)
        {
            if (_filled == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var read = await socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }

            _filled += read;
        }
    }
}
