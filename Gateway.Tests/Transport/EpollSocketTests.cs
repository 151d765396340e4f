using System.Net;
using System.Net.Sockets;
using System.Text;
using Benchmarks.Local;
using Gateway.Transport;

namespace Gateway.Tests.Transport;

/// <summary>The event-loop socket the lean upstream client uses, against a real loopback peer.</summary>
public class EpollSocketTests
{
    private static async Task<(EpollSocket Client, Socket Server, TcpListener Listener)> PairAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepting = listener.AcceptSocketAsync();
        var client = await EpollConnector.ConnectAsync(listener.LocalEndpoint, CancellationToken.None);
        return (client, await accepting, listener);
    }

    [Fact]
    public async Task ReceiveAsync_NothingSentYet_WaitsThenGetsWhatThePeerSends()
    {
        var (client, server, listener) = await PairAsync();
        using (client)
        using (server)
        {
            var buffer = new byte[64];
            var receiving = client.ReceiveAsync(buffer).AsTask();
            await Task.Delay(50);
            Assert.False(receiving.IsCompleted);
            await server.SendAsync("hello"u8.ToArray());
            var n = await receiving.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, n));
            Assert.Equal(5, await client.SendAsync("world"u8.ToArray()));
            var back = new byte[5];
            Assert.Equal(5, await server.ReceiveAsync(back));
            Assert.Equal("world", Encoding.ASCII.GetString(back));
        }

        listener.Stop();
    }

    [Fact]
    public async Task ReceiveAsync_Cancelled_ThrowsAndTheNextReceiveStillWorks()
    {
        var (client, server, listener) = await PairAsync();
        using (client)
        using (server)
        {
            using var cancel = new CancellationTokenSource();
            var receiving = client.ReceiveAsync(new byte[16], cancel.Token).AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving.WaitAsync(TimeSpan.FromSeconds(10)));

            await server.SendAsync("after"u8.ToArray());
            var buffer = new byte[16];
            var n = await client.ReceiveAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("after", Encoding.ASCII.GetString(buffer, 0, n));
        }

        listener.Stop();
    }

    [Fact]
    public async Task HasInput_IdleConnectionThePeerClosed_TrueAndReceiveSeesTheEnd()
    {
        var (client, server, listener) = await PairAsync();
        using (client)
        {
            Assert.False(client.HasInput);
            server.Dispose();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!client.HasInput && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.True(client.HasInput); // what the lean pool checks instead of a poll() before reusing a connection
            Assert.Equal(0, await client.ReceiveAsync(new byte[16]));
        }

        listener.Stop();
    }

    [Fact]
    public async Task Dispose_WhileReceiveWaits_ReceiveFailsWithOperationAborted()
    {
        var (client, server, listener) = await PairAsync();
        using (server)
        {
            var receiving = client.ReceiveAsync(new byte[16]).AsTask();
            client.Dispose();
            var error = await Assert.ThrowsAsync<SocketException>(() => receiving.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(SocketError.OperationAborted, error.SocketErrorCode);
        }

        listener.Stop();
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ConnectionRefused()
    {
        using var dead = new ReservedDeadPort();
        var error = await Assert.ThrowsAsync<SocketException>(() =>
            EpollConnector.ConnectAsync(new IPEndPoint(IPAddress.Loopback, dead.Port), CancellationToken.None).AsTask());
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task SendAsync_PeerNotReading_WaitsForRoomAndDeliversEverything()
    {
        var (client, server, listener) = await PairAsync();
        using (client)
        using (server)
        {
            var payload = new byte[8 * 1024 * 1024];
            Random.Shared.NextBytes(payload);
            var sending = client.SendAsync(payload).AsTask();
            await Task.Delay(100);
            Assert.False(sending.IsCompleted); // more than the kernel buffers hold: waiting for an output edge
            var received = new byte[payload.Length];
            var total = 0;
            while (total < payload.Length)
            {
                total += await server.ReceiveAsync(received.AsMemory(total));
            }

            Assert.Equal(payload.Length, await sending.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(payload.AsSpan().SequenceEqual(received));
        }

        listener.Stop();
    }
}
