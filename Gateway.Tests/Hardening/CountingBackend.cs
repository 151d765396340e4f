using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Hardening;

/// <summary>
/// A TCP backend that keeps every byte it is sent, across all connections, and answers each bodiless request head
/// with 200 "ok": for tests that must show a backend saw nothing (not a head, not a connection) of a refused request.
/// </summary>
public sealed class CountingBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly StringBuilder _received = new();
    private int _connections;

    public CountingBackend()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public string Received
    {
        get
        {
            lock (_received)
            {
                return _received.ToString();
            }
        }
    }

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

            lock (_clients)
            {
                _clients.Add(client);
            }

            Interlocked.Increment(ref _connections);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var buffer = new byte[16 * 1024];
        var pending = "";
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
            {
                var text = Encoding.ASCII.GetString(buffer, 0, n);
                lock (_received)
                {
                    _received.Append(text);
                }

                pending += text;
                int end;
                while ((end = pending.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    pending = pending[(end + 4)..];
                    await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            _clients.ForEach(c => c.Dispose());
        }

        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
