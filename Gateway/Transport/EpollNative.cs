using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Transport;

/// <summary>
/// The few Linux calls the epoll transport makes itself (everything else stays with System.Net.Sockets): epoll, and
/// non-blocking recv/send/sendmsg on a socket's descriptor. x86-64 layouts (epoll_event is packed there; see
/// <see cref="EpollTransport.IsSupported"/>).
/// </summary>
internal static unsafe partial class EpollNative
{
    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEdgeTriggered = 1u << 31;

    public const int EpollCtlAdd = 1;
    public const int EpollCloexec = 0x80000;
    public const int MsgNoSignal = 0x4000;

    public const int EAgain = 11;
    public const int EIntr = 4;

    /// <summary>struct epoll_event as x86-64 declares it (packed: 12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (no address, no control data).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollControl(int epollFd, int operation, int fd, EpollEvent* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, EpollEvent* events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Receive(nint fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(nint fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMessage(nint fd, MessageHeader* message, int flags);

    /// <summary>errno as System.Net.Sockets names it, for the exceptions callers already handle.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        104 => SocketError.ConnectionReset,     // ECONNRESET
        32 => SocketError.Shutdown,             // EPIPE: what .NET reports for a write after the peer closed
        111 => SocketError.ConnectionRefused,   // ECONNREFUSED
        110 => SocketError.TimedOut,            // ETIMEDOUT
        113 => SocketError.HostUnreachable,     // EHOSTUNREACH
        101 => SocketError.NetworkUnreachable,  // ENETUNREACH
        103 => SocketError.ConnectionAborted,   // ECONNABORTED
        107 => SocketError.NotConnected,        // ENOTCONN
        9 => SocketError.OperationAborted,      // EBADF: closed under us
        EAgain => SocketError.WouldBlock,
        EIntr => SocketError.Interrupted,
        _ => SocketError.SocketError,
    };
}
