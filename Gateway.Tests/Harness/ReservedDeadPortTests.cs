using System.Net;
using System.Net.Sockets;
using Benchmarks.Local;

namespace Gateway.Tests.Harness;

/// <summary>
/// benchmarks' Local/ReservedDeadPort, which the tests use for destinations that must stay dead: connections to it are
/// refused, and no one can listen on it while it is held, whatever reuse options they set (nginx and Kestrel set SO_REUSEADDR).
/// </summary>
public sealed class ReservedDeadPortTests
{
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int SoReusePort = 15;

    [Fact]
    public async Task Connect_WhileHeld_Refused()
    {
        using var held = new ReservedDeadPort();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        var error = await Assert.ThrowsAsync<SocketException>(async () => await client.ConnectAsync(IPAddress.Loopback, held.Port));

        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Theory]
    [InlineData("127.0.0.1", false, false)]
    [InlineData("127.0.0.1", true, false)]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("127.0.0.1", true, true)]
    [InlineData("0.0.0.0", true, false)]
    [InlineData("0.0.0.0", true, true)]
    public void Listen_WhileHeld_AddressInUseWhateverTheReuseOptions(string address, bool reuseAddress, bool reusePort)
    {
        using var held = new ReservedDeadPort();

        var error = Assert.Throws<SocketException>(() => Listen(address, held.Port, reuseAddress, reusePort));

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public void Listen_KestrelStyleTcpListenerWhileHeld_AddressInUse()
    {
        using var held = new ReservedDeadPort();
        var listener = new TcpListener(IPAddress.Loopback, held.Port); // .NET sets SO_REUSEADDR in its bind, as Kestrel's

        var error = Assert.Throws<SocketException>(listener.Start);

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public void Hold_PortItsListenerJustReleased_NoOneCanListenUntilDisposed()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        using (ReservedDeadPort.Hold(port))
        {
            var error = Assert.Throws<SocketException>(() => Listen("127.0.0.1", port, reuseAddress: true, reusePort: false));
            Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        }
    }

    [Fact]
    public void Hold_PortSomeoneListensOn_AddressInUse()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var error = Assert.Throws<SocketException>(() => ReservedDeadPort.Hold(((IPEndPoint)listener.LocalEndpoint).Port));
            Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>
    /// A socket bound with exactly the given options and listening. ProtocolType.Unspecified (TCP all the same) because
    /// .NET's bind turns SO_REUSEADDR on for ProtocolType.Tcp sockets, whatever was set before.
    /// </summary>
    private static Socket Listen(string address, int port, bool reuseAddress, bool reusePort)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(reuseAddress ? 1 : 0));
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(reusePort ? 1 : 0));
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), port));
            socket.Listen();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
