using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Benchmarks.Local;

/// <summary>
/// What the real-process harnesses share: loopback ports for programs that must be told theirs (picked fresh, and again
/// when taken), stopping child processes (<see cref="WatchedProcess"/> starts them), the repository root.
/// </summary>
internal static class LocalProcesses
{
    /// <summary>How many times <see cref="OnFreshPortsAsync{T}"/> starts something before it gives up.</summary>
    public const int PortAttempts = 5;

    /// <summary>
    /// A loopback port that was free a moment ago. RACY: the socket is closed before the number is used, so until the
    /// caller's process binds it any other test or process may take it (then the start fails with "Address already in
    /// use", or a port meant to be dead answers). Use instead: port 0 and the address the process reports (Kestrel hosts,
    /// the gateway's banner, ModelWorker's "listening" line), <see cref="ReservedDeadPort"/> for a port where nothing may
    /// listen, or <see cref="OnFreshPortsAsync{T}"/> for a program that must be told its ports up front (nginx, HAProxy,
    /// lbproxy-nginx), which retries with fresh ones when one was taken.
    /// </summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts something that must be told its <paramref name="count"/> ports before it binds them (nginx, HAProxy, a
    /// config file with fixed listen ports): <paramref name="start"/> gets fresh ports from <paramref name="nextPort"/>
    /// (default <see cref="FreePort"/>) and throws <see cref="PortInUseException"/> when the program failed because one of
    /// them was taken in between; then it runs again with new ones, up to <see cref="PortAttempts"/> times in all.
    /// </summary>
    public static async Task<T> OnFreshPortsAsync<T>(int count, Func<IReadOnlyList<int>, Task<T>> start, Func<int>? nextPort = null)
    {
        nextPort ??= FreePort;
        for (var attempt = 1; ; attempt++)
        {
            var ports = Enumerable.Range(0, count).Select(_ => nextPort()).ToList();
            try
            {
                return await start(ports);
            }
            catch (PortInUseException) when (attempt < PortAttempts)
            {
                // Another process took one of the ports between FreePort and the bind: pick new ones.
            }
        }
    }

    /// <summary>Whether a program's output says a bind failed because the address is in use (nginx, HAProxy, Kestrel, Go programs).</summary>
    /// <summary>Whether something accepts connections on the loopback port (a started program is listening).</summary>
    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static bool SaysAddressInUse(string output) => output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);

    /// <summary>Kills <paramref name="process"/> and its children if still running, waits for it, and disposes it.</summary>
    public static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    /// <summary>The repository root (where LbProxy.sln is), found upward from the working directory.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LbProxy.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository (LbProxy.sln not found)");
    }
}
