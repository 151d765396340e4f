using System.Net;
using System.Net.Sockets;

namespace Benchmarks.Local;

/// <summary>
/// A loopback port where nothing listens, held for as long as this lives: a TCP socket bound to 127.0.0.1:0 that never
/// calls listen(). A connection to it is refused (RST) exactly as to a closed port, and while it is held no other socket
/// can bind the port, so a test's "dead" destination cannot come alive because a parallel test or process took it
/// (which a port picked with <see cref="LocalProcesses.FreePort"/> and released can).
/// </summary>
/// <remarks>
/// Measured on Linux 6.x: a bound, non-listening socket blocks bind() (or the listen() after it) from sockets with
/// SO_REUSEADDR (nginx, Kestrel, .NET's TcpListener), SO_REUSEPORT or both, on 127.0.0.1 and on 0.0.0.0, <em>only if the
/// held socket has neither option</em>: two SO_REUSEADDR sockets may share a port while neither listens, and then one of
/// them may listen. .NET sets SO_REUSEADDR in every TCP bind on Unix (for Windows' TIME_WAIT behaviour), so it is
/// cleared right after the bind (the kernel checks the held socket's flag again when the other socket listens).
/// Gateway.Tests/Harness/ReservedDeadPortTests checks all of this.
/// </remarks>
internal sealed class ReservedDeadPort : IDisposable
{
    private const int SolSocket = 1; // Linux values
    private const int SoReuseAddr = 2;

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A port the OS picks, held from the start.</summary>
    public ReservedDeadPort()
        : this(0)
    {
    }

    private ReservedDeadPort(int port)
    {
        try
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            if (OperatingSystem.IsLinux())
            {
                _socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(0));
            }

            Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public int Port { get; }

    /// <summary>
    /// Holds <paramref name="port"/>, which its owner has just released (a worker killed and started again later on the
    /// same port, where the gateway expects it): nothing else can take it until this is disposed, right before the
    /// restart. Throws SocketException (AddressAlreadyInUse) when someone took it already.
    /// </summary>
    public static ReservedDeadPort Hold(int port) => new(port);

    /// <summary>host:port, as nginx's <c>server</c> lines take it.</summary>
    public string Authority => $"127.0.0.1:{Port}";

    /// <summary>http://127.0.0.1:port (no trailing slash).</summary>
    public string Url => $"http://{Authority}";

    public void Dispose() => _socket.Dispose();
}
