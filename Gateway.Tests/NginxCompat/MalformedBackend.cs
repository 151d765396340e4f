using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// A raw TCP backend that answers every request with a response head nginx and .NET both reject (a header name with a
/// space: nginx's "upstream sent invalid header"), then closes the connection.
/// </summary>
public sealed class MalformedBackend : IAsyncDisposable
{
    private static readonly byte[] s_answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX Y: z\r\nContent-Length: 2\r\n\r\nhi");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public MalformedBackend()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = AnswerAsync(socket);
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var buffer = new byte[8192];
                var head = new StringBuilder();
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await socket.ReceiveAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }

                await socket.SendAsync(s_answer, _stop.Token);
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // the proxy went away first
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
