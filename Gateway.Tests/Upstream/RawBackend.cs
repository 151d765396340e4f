using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Upstream;

/// <summary>
/// A TCP backend on 127.0.0.1 (OS port) that answers each request with exact bytes from a script, so tests can send
/// what no well-behaved server sends: a cut head, a short body, a malformed status line. It reads every request whole
/// (Content-Length or chunked body) and keeps its raw bytes.
/// </summary>
public sealed class RawBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<RawRequest, RawReply> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accepting;
    private int _connections;

    private RawBackend(Func<RawRequest, RawReply> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static RawBackend Start(Func<RawRequest, RawReply> script) => new(script);

    /// <summary>Answers every request with the same bytes, keeping the connection open.</summary>
    public static RawBackend Always(string reply) => new(_ => new RawReply(reply));

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Connections => Volatile.Read(ref _connections);

    public ConcurrentQueue<RawRequest> Requests { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _clients.Add(client);
            var index = Interlocked.Increment(ref _connections) - 1;
            _ = Task.Run(() => ServeAsync(client, index));
        }
    }

    private async Task ServeAsync(TcpClient client, int connection)
    {
        using var _ = client;
        var stream = client.GetStream();
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        try
        {
            for (var number = 0; ; number++)
            {
                var request = await ReadRequestAsync(stream, pending, buffer, connection, number);
                if (request is null)
                {
                    return;
                }

                Requests.Enqueue(request);
                var reply = _script(request);
                if (reply.Bytes.Length > 0)
                {
                    await stream.WriteAsync(reply.Bytes, _stop.Token);
                }

                if (reply.Reset)
                {
                    client.Client.LingerState = new LingerOption(true, 0); // RST instead of FIN
                    return;
                }

                if (reply.Close)
                {
                    client.Client.Shutdown(SocketShutdown.Send);
                    await Task.Delay(50);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task<RawRequest?> ReadRequestAsync(NetworkStream stream, List<byte> pending, byte[] buffer, int connection, int number)
    {
        int headEnd;
        while ((headEnd = IndexOf(pending, "\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync(stream, pending, buffer))
            {
                return null;
            }
        }

        var head = Encoding.Latin1.GetString([.. pending.GetRange(0, headEnd + 4)]);
        pending.RemoveRange(0, headEnd + 4);
        var body = new List<byte>();
        var raw = new List<byte>();
        if (Header(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf(pending, "\r\n"u8)) < 0)
                {
                    if (!await FillAsync(stream, pending, buffer))
                    {
                        return null;
                    }
                }

                var size = Convert.ToInt32(Encoding.ASCII.GetString([.. pending.GetRange(0, lineEnd)]).Split(';')[0], 16);
                while (pending.Count < lineEnd + 2 + size + 2)
                {
                    if (!await FillAsync(stream, pending, buffer))
                    {
                        return null;
                    }
                }

                raw.AddRange(pending.GetRange(0, lineEnd + 2 + size + 2));
                body.AddRange(pending.GetRange(lineEnd + 2, size));
                pending.RemoveRange(0, lineEnd + 2 + size + 2);
                if (size == 0)
                {
                    break; // this backend's clients send no trailers
                }
            }
        }
        else if (Header(head, "Content-Length") is { } length)
        {
            var count = int.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
            while (pending.Count < count)
            {
                if (!await FillAsync(stream, pending, buffer))
                {
                    return null;
                }
            }

            body.AddRange(pending.GetRange(0, count));
            raw.AddRange(body);
            pending.RemoveRange(0, count);
        }

        return new RawRequest(head, Encoding.Latin1.GetString([.. body]), Encoding.Latin1.GetString([.. raw]), connection, number);
    }

    private async Task<bool> FillAsync(NetworkStream stream, List<byte> pending, byte[] buffer)
    {
        var read = await stream.ReadAsync(buffer, _stop.Token);
        pending.AddRange(buffer.AsSpan(0, read));
        return read > 0;
    }

    private static string? Header(string head, string name) =>
        head.Split("\r\n").Skip(1).Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(l => l[(name.Length + 1)..].Trim()).FirstOrDefault();

    private static int IndexOf(List<byte> data, ReadOnlySpan<byte> needle) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(data).IndexOf(needle);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stop.Dispose();
    }
}
