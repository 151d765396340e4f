using System.Globalization;

namespace Benchmarks.Soak;

/// <summary>
/// What a process holds, read from /proc: resident memory, descriptors by kind, its TCP sockets (state and ports, from
/// /proc/PID/net/tcp{,6} matched by inode) and its child processes.
/// </summary>
public sealed record ProcessSnapshot(long RssBytes, int Descriptors, int Pipes, IReadOnlyList<SocketInfo> Sockets, IReadOnlyList<ChildProcess> Children)
{
    public int SocketCount => Sockets.Count;

    public int CloseWait => Sockets.Count(s => s.State == SocketInfo.CloseWaitState);

    public int Zombies => Children.Count(c => c.State == 'Z');

    public static ProcessSnapshot Take(int pid)
    {
        var rss = 0L;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        var socketInodes = new HashSet<long>();
        int descriptors = 0, pipes = 0;
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while listed
            }

            descriptors++;
            if (target is null)
            {
                continue;
            }

            if (target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                socketInodes.Add(long.Parse(target.AsSpan(8, target.Length - 9), CultureInfo.InvariantCulture));
            }
            else if (target.StartsWith("pipe:", StringComparison.Ordinal))
            {
                pipes++;
            }
        }

        var sockets = new List<SocketInfo>();
        foreach (var table in new[] { $"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && long.TryParse(f[9], CultureInfo.InvariantCulture, out var inode) && socketInodes.Contains(inode))
                {
                    sockets.Add(new SocketInfo(Port(f[1]), Port(f[2]), int.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
                }
            }
        }

        return new ProcessSnapshot(rss, descriptors, pipes, sockets, ChildrenOf(pid));

        static int Port(string address) => int.Parse(address.AsSpan(address.LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    public static List<ChildProcess> ChildrenOf(int parent)
    {
        var children = new List<ChildProcess>();
        foreach (var process in Local.ProcStat.All().Where(p => p.Parent == parent))
        {
            try
            {
                var command = File.ReadAllText(Path.Combine(process.Folder, "cmdline")).Replace('\0', ' ').Trim();
                children.Add(new ChildProcess(process.Pid, process.State, command));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // the process ended while being read
            }
        }

        return children;
    }
}

/// <summary>One TCP socket of the process: its local and remote ports and its state (the kernel's numbering).</summary>
public sealed record SocketInfo(int LocalPort, int RemotePort, int State)
{
    public const int ListenState = 0x0A;
    public const int CloseWaitState = 0x08;
}

/// <summary>A child process: its id, its state letter (R, S, Z, ...) and its command line.</summary>
public sealed record ChildProcess(int Pid, char State, string Command);
