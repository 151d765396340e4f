using System.Runtime.InteropServices;

namespace Gateway.Transport;

/// <summary>
/// Whether the gateway serves its listeners and reaches its http:// destinations through the epoll event loops:
/// Linux on x86-64, with inline scheduling (the loops run the requests), unless LBPROXY_TRANSPORT=sockets asks for
/// Kestrel's socket transport and .NET sockets as before.
/// </summary>
internal static class EpollTransport
{
    public const string Variable = "LBPROXY_TRANSPORT";

    /// <summary>The platform the native layouts in <see cref="EpollNative"/> are written for.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>On unless the platform lacks it or LBPROXY_TRANSPORT is "sockets".</summary>
    public static bool IsEnabled(bool inlineScheduling) =>
        inlineScheduling && IsSupported
        && !string.Equals(Environment.GetEnvironmentVariable(Variable), "sockets", StringComparison.OrdinalIgnoreCase);
}
