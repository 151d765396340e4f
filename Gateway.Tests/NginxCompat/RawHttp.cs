using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// Requests in exact bytes on one connection, for what HttpClient hides: whether the proxy keeps or closes the
/// connection after an answer, and plain HTTP sent to a TLS port.
/// </summary>
public sealed class RawHttp : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(10));

    private RawHttp(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawHttp> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            return new RawHttp(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a GET; false when the connection was already reset.</summary>
    public async Task<bool> SendGetAsync(string target, string host, string extraHeader = "")
    {
        var extra = extraHeader.Length == 0 ? "" : extraHeader + "\r\n";
        try
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n"), _timeout.Token);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// One response (head, and a Content-Length body): its status code, the <paramref name="headers"/> asked for and the body;
    /// null when the connection ended (or was reset) first.
    /// </summary>
    public async Task<(int Status, Dictionary<string, string> Headers, string Body)?> ReadResponseAsync(params string[] headers)
    {
        var head = new List<byte>();
        var one = new byte[1];
        try
        {
            while (head.Count < 4 || head[^1] != '\n' || head[^2] != '\r' || head[^3] != '\n' || head[^4] != '\r')
            {
                if (await _stream.ReadAsync(one, _timeout.Token) == 0)
                {
                    return null;
                }

                head.Add(one[0]);
            }

            var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n");
            var fields = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0].Trim(), StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => string.Join(",", g.Select(p => p[1].Trim())), StringComparer.OrdinalIgnoreCase);
            var length = fields.TryGetValue("Content-Length", out var l) ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var body = new byte[length];
            await _stream.ReadExactlyAsync(body, _timeout.Token);
            var picked = headers.Where(fields.ContainsKey).ToDictionary(h => h, h => fields[h], StringComparer.Ordinal);
            return (int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), picked, Encoding.ASCII.GetString(body));
        }
        catch (IOException)
        {
            return null; // reset: the proxy had closed the connection
        }
    }

    /// <summary>Whether the proxy has closed the connection (end of stream or reset) rather than waiting for another request.</summary>
    public async Task<bool> ClosedAsync()
    {
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            return await _stream.ReadAsync(new byte[1], wait.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false; // still open
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
        _timeout.Dispose();
    }
}
