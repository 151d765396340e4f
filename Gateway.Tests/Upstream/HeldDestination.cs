using System.Net;
using System.Net.Sockets;
using Gateway.Upstream;

namespace Gateway.Tests.Upstream;

/// <summary>A destination on 127.0.0.1 that accepts connections and holds them open without answering (lean pool tests).</summary>
internal sealed class HeldDestination : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];

    public HeldDestination() => _listener.Start();

    public Uri Uri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>A new connection of <paramref name="pool"/>, its other end accepted and held here.</summary>
    public async Task<LeanConnection> ConnectAsync(LeanConnectionPool pool)
    {
        var connection = await pool.ConnectAsync(CancellationToken.None);
        _accepted.Add(await _listener.AcceptSocketAsync());
        return connection;
    }

    public void Dispose()
    {
        _accepted.ForEach(s => s.Dispose());
        _listener.Stop();
        _listener.Dispose();
    }
}
