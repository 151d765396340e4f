using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Hardening;

/// <summary>A client that sends exact bytes on its own TCP connection and reads whatever comes back.</summary>
public sealed class RawClient : IDisposable
{
    private readonly TcpClient _tcp = new() { NoDelay = true };

    private RawClient()
    {
    }

    public NetworkStream Stream => _tcp.GetStream();

    public static async Task<RawClient> ConnectAsync(Uri url)
    {
        var client = new RawClient();
        await client._tcp.ConnectAsync(url.Host, url.Port);
        return client;
    }

    public Task SendAsync(string text) => Stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Everything the server sends until it closes the connection (a reset counts as a close), within the timeout.</summary>
    public async Task<string> ReadToCloseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var text = new StringBuilder();
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await Stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (IOException)
        {
            // reset by the server: closed
        }

        return text.ToString();
    }

    /// <summary>One response head and its Content-Length body (the connection stays open).</summary>
    public async Task<string> ReadResponseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var bytes = new List<byte>();
        var buffer = new byte[1];
        while (true)
        {
            var text = Encoding.ASCII.GetString([.. bytes]);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var length = Header(text, "Content-Length") is { } cl ? int.Parse(cl, System.Globalization.CultureInfo.InvariantCulture) : 0;
                if (bytes.Count >= end + 4 + length)
                {
                    return text;
                }
            }

            if (await Stream.ReadAsync(buffer, cts.Token) == 0)
            {
                return text;
            }

            bytes.Add(buffer[0]);
        }
    }

    /// <summary>The status code of a response text, or 0 when there is none (the connection was closed without an answer).</summary>
    public static int Status(string response) =>
        response.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(response.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture) : 0;

    public static string? Header(string response, string name)
    {
        var head = response.Split("\r\n\r\n")[0];
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    public void Dispose() => _tcp.Dispose();
}
